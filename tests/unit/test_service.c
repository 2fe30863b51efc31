/*  service: command line, config errors, health check and signals against a real process
 *  (tests/unit/service_demo), plus the stop path in-process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service.h"
#include "unit_tmp.h"

#define DEMO MVOI_BINARY_DIR "/tests/unit/service_demo"

extern char **environ;

static char s_dir[64];
static char s_api[128];

static void s_setup(void)
{
    ut_tmpdir(s_dir, sizeof s_dir, "svc");
    snprintf(s_api, sizeof s_api, "ipc://%s/api.sock", s_dir);
    setenv("MVOI_DEMO_API", s_api, 1);
    setenv("MVOI_DATA_DIR", s_dir, 1);
    unsetenv("MVOI_CONFIG");
    unsetenv("MVOI_LOG_FORMAT");
    unsetenv("MVOI_LOG_LEVEL");
}

static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(service, .init = s_setup, .fini = s_teardown);

static int64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start the demo with the given arguments; its stdout/stderr go to files in s_dir. */
static pid_t s_spawn(const char *tag, const char *const *args)
{
    char out[128], err[128];
    snprintf(out, sizeof out, "%s/%s.out", s_dir, tag);
    snprintf(err, sizeof err, "%s/%s.err", s_dir, tag);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char *argv[16] = { (char *) DEMO };
    for (int i = 0; args && args[i] && i < 14; i++)
        argv[i + 1] = (char *) args[i];
    pid_t pid;
    int rc = posix_spawn(&pid, DEMO, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "posix_spawn %s: %s", DEMO, strerror(rc));
    return pid;
}

/* Exit code, or -1 on timeout (the child is then killed), 128+N when killed by N. */
static int s_wait(pid_t pid, int timeout_ms)
{
    int64_t end = s_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (s_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(10000);
    }
}

static char *s_read(const char *tag, const char *ext)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s.%s", s_dir, tag, ext);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int s_run(const char *tag, const char *const *args, int timeout_ms)
{
    return s_wait(s_spawn(tag, args), timeout_ms);
}

/* Start the demo and wait until it answers its health check. */
static pid_t s_start(const char *tag)
{
    pid_t pid = s_spawn(tag, NULL);
    int64_t end = s_ms() + 5000;
    while (service_healthcheck(s_api, true, 200) != 0) {
        cr_assert_lt(s_ms(), end, "demo never became healthy");
        int st;
        cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "demo exited early");
    }
    return pid;
}

Test(service, version_prints_name_and_version)
{
    cr_assert_eq(s_run("v", (const char *[]) { "--version", NULL }, 5000), 0);
    char *out = s_read("v", "out");
    cr_assert_str_eq(out, "mvoi-demo " MVOI_VERSION "\n");
    free(out);
}

Test(service, help_lists_options_and_variables)
{
    cr_assert_eq(s_run("h", (const char *[]) { "--help", NULL }, 5000), 0);
    char *out = s_read("h", "out");
    cr_assert_not_null(strstr(out, "Usage: mvoi-demo"), "%s", out);
    cr_assert_not_null(strstr(out, "--healthcheck"), "%s", out);
    cr_assert_not_null(strstr(out, "MVOI_DEMO_API"), "%s", out);
    cr_assert_not_null(strstr(out, "MVOI_DEMO_WORKERS"), "%s", out);
    cr_assert_not_null(strstr(out, "MVOI_LOG_FORMAT"), "%s", out);
    cr_assert_not_null(strstr(out, "MVOI_DATA_DIR"), "%s", out);
    free(out);
}

Test(service, help_works_even_with_bad_config)
{
    setenv("MVOI_DEMO_WORKERS", "lots", 1);
    cr_assert_eq(s_run("h", (const char *[]) { "-h", NULL }, 5000), 0);
}

Test(service, bad_config_value_exits_78_naming_the_key)
{
    setenv("MVOI_DEMO_WORKERS", "lots", 1);
    cr_assert_eq(s_run("b", NULL, 5000), SERVICE_EX_CONFIG);
    char *out = s_read("b", "out"), *err = s_read("b", "err");
    cr_assert_not_null(strstr(out, "\"key\":\"MVOI_DEMO_WORKERS\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"event\":\"config_invalid\""), "%s", out);
    cr_assert_not_null(strstr(err, "MVOI_DEMO_WORKERS: must be an integer between 1 and 16"),
                       "%s", err);
    free(out);
    free(err);
}

Test(service, missing_required_key_exits_78)
{
    unsetenv("MVOI_DEMO_API");
    cr_assert_eq(s_run("m", NULL, 5000), SERVICE_EX_CONFIG);
    char *err = s_read("m", "err");
    cr_assert_not_null(strstr(err, "MVOI_DEMO_API: required"), "%s", err);
    free(err);
}

Test(service, bad_log_level_exits_78)
{
    setenv("MVOI_LOG_LEVEL", "loud", 1);
    cr_assert_eq(s_run("l", NULL, 5000), SERVICE_EX_CONFIG);
    char *err = s_read("l", "err");
    cr_assert_not_null(strstr(err, "MVOI_LOG_LEVEL"), "%s", err);
    free(err);
}

Test(service, bad_ini_key_exits_78)
{
    char ini[128];
    snprintf(ini, sizeof ini, "%s/demo.ini", s_dir);
    FILE *f = fopen(ini, "w");
    fputs("[demo]\nworkrs = 2\n", f);
    fclose(f);
    cr_assert_eq(s_run("i", (const char *[]) { "--config", ini, NULL }, 5000), SERVICE_EX_CONFIG);
    char *err = s_read("i", "err");
    cr_assert_not_null(strstr(err, "demo.ini:2: unknown key 'workrs'"), "%s", err);
    free(err);
}

Test(service, unknown_flag_exits_64)
{
    cr_assert_eq(s_run("u", (const char *[]) { "--frobnicate", NULL }, 5000), 64);
    char *err = s_read("u", "err");
    cr_assert_not_null(strstr(err, "--frobnicate"), "%s", err);
    free(err);
    cr_assert_eq(s_run("u2", (const char *[]) { "extra-arg", NULL }, 5000), 64);
    cr_assert_eq(s_run("u3", (const char *[]) { "--healthcheck=maybe", NULL }, 5000), 64);
}

Test(service, print_config_shows_values_and_redacts)
{
    setenv("MVOI_DEMO_TOKEN", "hunter2", 1);
    cr_assert_eq(s_run("p", (const char *[]) { "--print-config", NULL }, 5000), 0);
    char *out = s_read("p", "out");
    char want[256];
    snprintf(want, sizeof want, "MVOI_DEMO_API=%s  # env\n", s_api);
    cr_assert_not_null(strstr(out, want), "%s", out);
    cr_assert_not_null(strstr(out, "MVOI_DEMO_TOKEN=(redacted)"), "%s", out);
    cr_assert_null(strstr(out, "hunter2"), "%s", out);
    free(out);
}

Test(service, healthcheck_against_running_demo)
{
    pid_t pid = s_start("srv");
    cr_assert_eq(s_run("hc", (const char *[]) { "--healthcheck", NULL }, 5000), 0);
    cr_assert_eq(s_run("hc2", (const char *[]) { "--healthcheck=live", NULL }, 5000), 0);
    kill(pid, SIGTERM);
    cr_assert_eq(s_wait(pid, 2000), 0);
}

Test(service, healthcheck_ready_false)
{
    setenv("MVOI_DEMO_READY", "false", 1);
    pid_t pid = s_spawn("srv", NULL);
    int64_t end = s_ms() + 5000;
    while (service_healthcheck(s_api, false, 200) != 0)
        cr_assert_lt(s_ms(), end, "demo never became live");
    cr_assert_eq(s_run("hc", (const char *[]) { "--healthcheck=ready", NULL }, 5000), 1);
    cr_assert_eq(s_run("hc2", (const char *[]) { "--healthcheck=live", NULL }, 5000), 0);
    kill(pid, SIGTERM);
    cr_assert_eq(s_wait(pid, 2000), 0);
}

Test(service, healthcheck_against_nothing_fails_within_timeout)
{
    int64_t t0 = s_ms();
    cr_assert_eq(s_run("hc", (const char *[]) { "--healthcheck", NULL }, 5000), 1);
    int64_t took = s_ms() - t0;
    cr_assert_lt(took, 4000, "took %lld ms", (long long) took);
    char *err = s_read("hc", "err");
    cr_assert_not_null(strstr(err, "no reply"), "%s", err);
    free(err);

    t0 = s_ms();
    cr_assert_eq(service_healthcheck("tcp://127.0.0.1:1", false, 300), 1);
    cr_assert_lt(s_ms() - t0, 1500);
    cr_assert_eq(service_healthcheck("bogus://x", false, 300), 1);
}

static void s_signal_test(int signum)
{
    pid_t pid = s_start("srv");
    int64_t t0 = s_ms();
    kill(pid, signum);
    int rc = s_wait(pid, 2000);
    cr_assert_eq(rc, 0, "exit %d after signal %d (%lld ms)", rc, signum,
                 (long long) (s_ms() - t0));
    char *out = s_read("srv", "out");
    cr_assert_not_null(strstr(out, "\"event\":\"stopping\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"event\":\"api_closed\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"event\":\"stopped\""), "%s", out);
    free(out);
}

Test(service, sigterm_stops_gracefully)
{
    s_signal_test(SIGTERM);
}

Test(service, sigint_stops_gracefully)
{
    s_signal_test(SIGINT);
}

Test(service, second_signal_exits_at_once_with_1)
{
    setenv("MVOI_DEMO_STOP_DELAY_MS", "10000", 1);   /* a graceful stop that takes long */
    pid_t pid = s_start("srv");
    kill(pid, SIGTERM);
    usleep(300000);
    cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "still draining after the first signal");
    int64_t t0 = s_ms();
    kill(pid, SIGINT);
    cr_assert_eq(s_wait(pid, 2000), 1);
    cr_assert_lt(s_ms() - t0, 1000);
}

/* In-process: service_stop from code runs the stop callbacks newest first. */
static char s_order[8];
static void s_stop_a(void *arg) { strcat(s_order, "a"); }
static void s_stop_b(void *arg) { strcat(s_order, "b"); }
static void s_on_timer(uv_timer_t *t)
{
    service_stop(t->data);
    uv_close((uv_handle_t *) t, NULL);
}

Test(service, stop_from_code_runs_callbacks_in_reverse)
{
    static const cfg_spec_t specs[] = { { "api", CFG_ENDPOINT, "inproc://x", "api" } };
    static const service_def_t def = { .name = "demo", .config = specs, .nconfig = 1 };
    char *argv[] = { (char *) "mvoi-demo", NULL };
    service_t *svc = NULL;
    cr_assert_eq(service_init(&svc, &def, 1, argv), -1);
    cr_assert_not_null(svc);
    cr_assert_str_eq(service_name(svc), "demo");
    cr_assert_not_null(service_loop(svc));
    cr_assert_not_null(service_bus(svc));
    char want[128];
    snprintf(want, sizeof want, "%s/demo", s_dir);
    cr_assert_str_eq(service_data_dir(svc), want);
    cr_assert_str_eq(cfg_str(service_cfg(svc), "log_format"), "json");
    service_on_stop(svc, s_stop_a, NULL);
    service_on_stop(svc, s_stop_b, NULL);
    uv_timer_t t;
    uv_timer_init(service_loop(svc), &t);
    t.data = svc;
    uv_timer_start(&t, s_on_timer, 10, 0);
    cr_assert_not(service_stopping(svc));
    cr_assert_eq(service_run(svc), 0);
    cr_assert(service_stopping(svc));
    cr_assert_str_eq(s_order, "ba");
    service_destroy(&svc);
    cr_assert_null(svc);
}
