/* Unit tests for common/store_guard.c (the directory lock, the checks before mapping) and
 * the store's use of them. Figures come from the file layout: pages of 4096 bytes. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_guard.h"
#include "unit_tmp.h"

static char s_dir[64];
static const char *const s_dbs[] = { "data", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "guard"); }
static void s_teardown(void) { store_guard_set_init(true); ut_tmpdir_remove(s_dir); }

TestSuite(guard, .init = s_setup, .fini = s_teardown);

static store_t *s_open(int *err)
{
    store_opts_t o = { .path = s_dir, .dbs = s_dbs };
    return store_new(&o, err);
}

static void s_path(char *buf, size_t len, const char *file)
{
    snprintf(buf, len, "%s/%s", s_dir, file);
}

Test(guard, second_holder_is_refused_with_the_pid)
{
    int fd = -1, fd2 = -1;
    char err[512] = "";
    cr_assert_eq(store_guard_lock(s_dir, &fd, err, sizeof err), 0);
    /* A child process stands for the second instance (flock is per open file, so even a
     * second open in this process would conflict; a child shows the real case). */
    pid_t pid = fork();
    if (pid == 0) {
        int rc = store_guard_lock(s_dir, &fd2, err, sizeof err);
        char want[256];
        snprintf(want, sizeof want, "is in use by pid %ld", (long)getppid());
        _exit(rc == -EBUSY && strstr(err, want) ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd);
    /* Released with the descriptor. */
    cr_assert_eq(store_guard_lock(s_dir, &fd2, err, sizeof err), 0);
    close(fd2);
}

Test(guard, store_new_twice_on_one_directory_is_ebusy)
{
    int err = 0;
    store_t *a = s_open(&err);
    cr_assert_not_null(a);
    store_t *b = s_open(&err);
    cr_assert_null(b);
    cr_assert_eq(err, -EBUSY);
    store_destroy(&a);
    a = s_open(&err);   /* the lock went with the first store */
    cr_assert_not_null(a);
    store_destroy(&a);
}

static void s_make_store(void)
{
    int err = 0;
    store_t *s = s_open(&err);
    cr_assert_not_null(s);
    store_destroy(&s);
}

Test(guard, truncated_file_is_euclean_and_unchanged)
{
    s_make_store();
    char file[128];
    s_path(file, sizeof file, "data.mdb");
    struct stat st;
    cr_assert_eq(stat(file, &st), 0);
    /* A fresh store with one named db: 2 meta pages + main db leaf + ... = at least 3. */
    cr_assert_geq(st.st_size, 3 * 4096);
    cr_assert_eq(truncate(file, 2 * 4096), 0);
    int err = 0;
    store_guard_set_init(false);
    cr_assert_null(s_open(&err));
    cr_assert_eq(err, -EUCLEAN);
    cr_assert_eq(stat(file, &st), 0);
    cr_assert_eq(st.st_size, 2 * 4096);
    cr_assert_eq(truncate(file, 100), 0);   /* shorter than one meta page */
    cr_assert_null(s_open(&err));
    cr_assert_eq(err, -EUCLEAN);
}

Test(guard, empty_or_missing_file_needs_init)
{
    s_make_store();
    char file[128];
    s_path(file, sizeof file, "data.mdb");
    cr_assert_eq(truncate(file, 0), 0);
    int err = 0;
    bool fresh = true;
    char msg[512];
    cr_assert_eq(store_guard_check(s_dir, false, &fresh, msg, sizeof msg), -ENODATA);
    cr_assert(strstr(msg, "is empty (0 bytes)"), "%s", msg);
    cr_assert_eq(unlink(file), 0);
    cr_assert_eq(store_guard_check(s_dir, false, &fresh, msg, sizeof msg), -ENODATA);
    cr_assert(strstr(msg, "is missing"), "%s", msg);
    store_guard_set_init(false);
    cr_assert_null(s_open(&err));
    cr_assert_eq(err, -ENODATA);
    cr_assert_eq(access(file, F_OK), -1);   /* the refused start created nothing */
    store_guard_set_init(true);
    store_t *s = s_open(&err);
    cr_assert_not_null(s);
    cr_assert(store_created(s));
    store_destroy(&s);
}

Test(guard, new_directory_needs_no_init)
{
    bool fresh = false;
    char msg[512];
    cr_assert_eq(store_guard_check(s_dir, false, &fresh, msg, sizeof msg), 0);
    cr_assert(fresh);
}

Test(guard, damaged_meta_page_is_named)
{
    s_make_store();
    char file[128];
    s_path(file, sizeof file, "data.mdb");
    int fd = open(file, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, "XXXXXXXX", 8, 4096 + 16), 8);   /* meta page 1's magic */
    close(fd);
    bool fresh;
    char msg[512];
    cr_assert_eq(store_guard_check(s_dir, false, &fresh, msg, sizeof msg), -EUCLEAN);
    cr_assert(strstr(msg, "meta page 1 is damaged"), "%s", msg);
}

Test(guard, first_start_killed_before_its_meta_pages_starts_anew)
{
    /* What a kill -9 inside the very first start leaves: LMDB's files, no marker. */
    char file[128];
    s_path(file, sizeof file, "data.mdb");
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
    s_path(file, sizeof file, "lock.mdb");
    fd = open(file, O_WRONLY | O_CREAT, 0600);
    close(fd);
    bool fresh = false;
    char msg[512];
    cr_assert_eq(store_guard_check(s_dir, false, &fresh, msg, sizeof msg), 0);
    cr_assert(fresh);
    store_guard_set_init(false);
    int err = 0;
    store_t *s = s_open(&err);
    cr_assert_not_null(s, "%d", err);
    store_destroy(&s);
    s_path(file, sizeof file, STORE_MARK_FILE);
    cr_assert_eq(access(file, F_OK), 0);   /* from now on a lost data.mdb is refused */
}
