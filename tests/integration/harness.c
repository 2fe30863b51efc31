/*  harness: real processes for integration tests. See harness.h. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "mvoi_curve.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lmdb.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

extern char **environ;

void h_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/mvoiXXXXXX");
    if (!mkdtemp(buf))
        buf[0] = 0;
}

/* Set when a child died of a signal the tests do not send themselves (an abort from a
 * sanitizer, SIGSEGV, SIGBUS): then every log in the directory is worth keeping. */
static bool s_abnormal;

void h_keep_logs(void) { s_abnormal = true; }

static bool s_has_report(const char *buf)
{
    static const char *const marks[] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                         "runtime error:", "UndefinedBehaviorSanitizer",
                                         "Segmentation fault", NULL };
    for (int i = 0; marks[i]; i++)
        if (strstr(buf, marks[i]))
            return true;
    return false;
}

/* A child's log is copied into the test's own output (stderr, kept by ctest) before its
 * directory goes: the last 64 KiB, when it holds a sanitizer report or a child died
 * abnormally. Without this the cause of a crash went with the temp dir. */
static void s_keep_log(const char *path)
{
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".log") != 0)
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    static char buf[64 * 1024 + 1];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)(sizeof buf - 1) : 0, SEEK_SET);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = 0;
    fclose(f);
    if (!s_abnormal && !s_has_report(buf))
        return;
    fprintf(stderr, "===== kept log %s (%ld bytes, last %zu shown) =====\n%s\n===== end of %s "
            "=====\n", path, size, got, buf, path);
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    if (flag == FTW_F)
        s_keep_log(path);
    return remove(path);
}

void h_tmpdir_remove(const char *dir)
{
    if (dir && *dir && !getenv("MVOI_KEEP_TMP"))
        nftw(dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

void h_bin(char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/%s", MVOI_BINARY_DIR, rel);
}

int h_spawn(h_proc_t *p, const char *bin, const char *name, const char *logdir,
            const char *const *env)
{
    char *const argv[] = { (char *)bin, NULL };
    return h_spawn_argv(p, argv, name, logdir, env);
}

int h_spawn_argv(h_proc_t *p, char *const argv[], const char *name, const char *logdir,
                 const char *const *env)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s/%s.log", logdir, name);
    size_t n = 0, m = 0;
    while (environ[n])
        n++;
    while (env && env[m])
        m++;
    char **envp = calloc(n + m + 1, sizeof *envp);
    if (!envp)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        envp[k++] = (char *)env[i];
    for (size_t i = 0; i < n; i++)
        envp[k++] = environ[i];   /* later duplicates lose: ours come first */
    /* fork + exec rather than posix_spawn: the child asks to be killed when the test
     * process dies (PR_SET_PDEATHSIG), so a failed assertion never leaves services running
     * on the machine. */
    int logfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        free(envp);
        return -errno;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(logfd);
        free(envp);
        return -e;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);   /* the parent died before prctl took effect */
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    close(logfd);
    free(envp);
    p->pid = pid;
    return 0;
}

int h_signal(h_proc_t *p, int sig)
{
    return p->pid > 0 && kill(p->pid, sig) == 0 ? 0 : -errno;
}

int h_wait(h_proc_t *p, int timeout_ms, int *status)
{
    int64_t end = h_now_ms() + timeout_ms;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            if (status)
                *status = st;
            if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL && WTERMSIG(st) != SIGTERM
                && WTERMSIG(st) != SIGINT) {
                s_abnormal = true;
                fprintf(stderr, "harness: %s died of signal %d; its log: %s\n", p->name,
                        WTERMSIG(st), p->log);
            }
            return 0;
        }
        if (r < 0)
            return -errno;
        if (h_now_ms() >= end)
            return -ETIMEDOUT;
        h_sleep_ms(5);
    }
}

void h_kill9(h_proc_t *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
}

int h_request_raw(const char *endpoint, const void *data, size_t len,
                  Mvoi__Envelope **reply, int timeout_ms)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    int rc = -ETIMEDOUT;
    *reply = NULL;
    /* CURVE when the test process set a key (mvoi_curve_set); plain otherwise. */
    if (mvoi_curve_client(s, endpoint) != 0 || zmq_connect(s, endpoint) != 0
        || zmq_send(s, data, len, 0) < 0) {
        rc = -EIO;
        goto out;
    }
    zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
    int64_t end = h_now_ms() + timeout_ms;
    while (h_now_ms() < end) {
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        int more = 0;
        size_t ml = sizeof more;
        if (zmq_msg_recv(&m, s, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
        if (more) {   /* a [topic][envelope] item: not the reply */
            zmq_msg_close(&m);
            do {
                zmq_msg_init(&m);
                zmq_msg_recv(&m, s, 0);
                zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
                zmq_msg_close(&m);
            } while (more);
            continue;
        }
        *reply = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        rc = *reply ? 0 : -EPROTO;
        break;
    }
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}

int h_request(const char *endpoint, const Mvoi__Envelope *req, Mvoi__Envelope **reply,
              int timeout_ms)
{
    size_t len = mvoi__envelope__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    mvoi__envelope__pack(req, buf);
    int rc = h_request_raw(endpoint, buf, len, reply, timeout_ms);
    free(buf);
    return rc;
}

int h_wait_healthy(const char *endpoint, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    while (h_now_ms() < end) {
        Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
        Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
        e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
        e.health = &hr;
        Mvoi__Envelope *r = NULL;
        if (h_request(endpoint, &e, &r, 300) == 0) {
            bool ok = r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY &&
                      r->health_reply->live;
            mvoi__envelope__free_unpacked(r, NULL);
            if (ok)
                return 0;
        }
        h_sleep_ms(20);
    }
    fprintf(stderr, "harness: %s did not answer health in %d ms\n", endpoint, timeout_ms);
    h_keep_logs();
    return -ETIMEDOUT;
}

int h_lmdb_read(const char *path, h_lmdb_fn *fn, void *arg)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&env);
    if (rc)
        return rc;
    mdb_env_set_maxdbs(env, 32);
    /* The map size is adopted from the file; 0 keeps the environment's own. */
    rc = mdb_env_open(env, path, MDB_RDONLY, 0600);
    if (rc == 0)
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = fn(txn, arg);
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return rc;
}

int64_t h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}
