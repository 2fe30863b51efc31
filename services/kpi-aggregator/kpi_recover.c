/*  kpi_recover: unclean-stop detection and start-anew of the derived store (see
 *  kpi_recover.h). */
#include "kpi_recover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mvoi_error.h"
#include "store.h"
#include "store_guard.h"

#define KPI_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

const char *kpi_recover_state_name(kpi_recover_state_t s)
{
    switch (s) {
    case KPI_RECOVER_CLEAN: return "clean";
    case KPI_RECOVER_PROCESS: return "process_crash";
    case KPI_RECOVER_REBUILD: return "rebuild";
    }
    return "?";
}

static int s_path(char *buf, size_t len, const char *dir, const char *file)
{
    int n = snprintf(buf, len, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The first line of a small file, without its newline; 0, -ENOENT or -errno. */
static int s_read_line(const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int e = n < 0 ? -errno : 0;
    close(fd);
    if (e)
        return e;
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

int kpi_recover_boot_id(char *buf, size_t len)
{
    return s_read_line(KPI_BOOT_ID_PATH, buf, len);
}

static int s_unlink(const char *dir, const char *file)
{
    char p[4096];
    int rc = s_path(p, sizeof p, dir, file);
    if (rc == 0 && unlink(p) != 0 && errno != ENOENT)
        rc = -errno;
    return rc;
}

/* The marker of this boot, written to a temporary name, flushed, renamed, and the
 * directory flushed: once this returns, a reboot cannot lose it. */
static int s_write_mark(const char *dir, const char *boot)
{
    char tmp[4096], path[4096], text[160];
    int rc = s_path(tmp, sizeof tmp, dir, KPI_RECOVER_MARK ".tmp");
    if (rc == 0)
        rc = s_path(path, sizeof path, dir, KPI_RECOVER_MARK);
    if (rc != 0)
        return rc;
    int n = snprintf(text, sizeof text, "%s\n%ld\n", boot, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (write(fd, text, (size_t)n) != n || fsync(fd) != 0)
        rc = errno ? -errno : -EIO;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    return rc == 0 ? store_fsync_dir(dir) : rc;
}

/* The store is derived and cannot be trusted: remove it before LMDB maps it. */
static int s_start_anew(const char *dir)
{
    static const char *const files[] = { "data.mdb", "lock.mdb", STORE_MARK_FILE, NULL };
    for (int i = 0; files[i]; i++) {
        int rc = s_unlink(dir, files[i]);
        if (rc != 0)
            return rc;
    }
    return store_fsync_dir(dir);
}

int kpi_recover_before_open(const char *dir, void *arg)
{
    kpi_recover_t *r = arg;
    char path[4096], boot[64] = "";
    int rc = s_path(path, sizeof path, dir, KPI_RECOVER_MARK);
    if (rc != 0)
        return rc;
    r->state = KPI_RECOVER_CLEAN;
    r->found_boot[0] = 0;
    if (kpi_recover_boot_id(boot, sizeof boot) != 0)
        boot[0] = 0;   /* unknown: any marker found means a rebuild */
    rc = s_read_line(path, r->found_boot, sizeof r->found_boot);
    if (rc != 0 && rc != -ENOENT)
        r->found_boot[0] = 0;   /* unreadable marker: treated as another boot */
    bool failed = strcmp(r->found_boot, KPI_RECOVER_FLUSH_FAILED) == 0;
    if (rc != -ENOENT) {
        bool same = boot[0] && strcmp(boot, r->found_boot) == 0;
        r->state = same ? KPI_RECOVER_PROCESS : KPI_RECOVER_REBUILD;
    }
    const char *kv[] = { "path", dir, "found", kpi_recover_state_name(r->state),
                         "boot_id", boot[0] ? boot : "unknown", NULL };
    if (failed) {
        log_emit(LOG_WARN, "store_rebuild", kv, "a flush of the kpi-aggregator's store "
                 "failed while it ran, so pages it wrote may never have reached the disk: "
                 "starting anew and rebuilding every total from the calendar and the "
                 "impact-calculator");
        if ((rc = s_start_anew(dir)) != 0)
            return rc;
    } else if (r->state == KPI_RECOVER_REBUILD) {
        log_emit(LOG_WARN, "store_rebuild", kv, "the last stop of the kpi-aggregator was "
                 "not orderly and the machine went down since (marker of boot %s): its "
                 "store may lack commits or be torn; starting anew and rebuilding every "
                 "total from the calendar and the impact-calculator",
                 r->found_boot[0] ? r->found_boot : "?");
        if ((rc = s_start_anew(dir)) != 0)
            return rc;
    } else if (r->state == KPI_RECOVER_PROCESS) {
        log_emit(LOG_INFO, "unclean_stop", kv, "the last stop was not orderly but the "
                 "machine kept running: every commit is in the page cache, store kept");
    }
    return s_write_mark(dir, boot[0] ? boot : "unknown");
}

int kpi_recover_mark_failed(const char *dir)
{
    return s_write_mark(dir, KPI_RECOVER_FLUSH_FAILED);
}

int kpi_recover_clean_stop(store_t *store, const char *dir)
{
    char path[4096], found[64];
    int rc = s_path(path, sizeof path, dir, KPI_RECOVER_MARK);
    if (rc == 0 && s_read_line(path, found, sizeof found) == 0 &&
        strcmp(found, KPI_RECOVER_FLUSH_FAILED) == 0) {
        const char *kv[] = { "path", dir, NULL };
        log_emit(LOG_WARN, "store_untrusted", kv, "a flush of the store failed while the "
                 "service ran: the marker stays, the next start rebuilds every total");
        return -EIO;
    }
    if (rc == 0 && (rc = store_flush(store)) != 0) {
        const char *kv[] = { "path", dir, "error", mvoi_errname(rc), NULL };
        log_emit(LOG_ERROR, "flush_failed", kv, "flushing the store at stop failed: %s; the "
                 "next start rebuilds every total", mvoi_strerror(rc));
        kpi_recover_mark_failed(dir);
        return rc;
    }
    if (rc == 0 && (rc = s_unlink(dir, KPI_RECOVER_MARK)) == 0)
        rc = store_fsync_dir(dir);
    return rc;
}
