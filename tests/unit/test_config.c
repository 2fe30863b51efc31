#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit_tmp.h"

static const cfg_spec_t specs[] = {
    { "api", CFG_ENDPOINT, "tcp://*:5555", "ROUTER endpoint" },
    { "port", CFG_INT, "8080", "HTTP port", 1, 65535 },
    { "verbose", CFG_BOOL, "false", "chatty" },
    { "password", CFG_SECRET, "", "SMTP password" },
    { "name", CFG_STRING, "heerlen", "buyer name" },
    { "outbox_dir", CFG_PATH, "/tmp/outbox", "where mail goes" },
    { "log_level", CFG_STRING, "info", "level", 0, 0, true },
};
#define NSPECS ((int) (sizeof specs / sizeof specs[0]))

static char s_dir[64];

static void s_setup(void)
{
    /* Each test runs in its own process: environment changes stay there. */
    const char *vars[] = { "MVOI_CALENDAR_API", "MVOI_CALENDAR_PORT", "MVOI_CALENDAR_VERBOSE",
                           "MVOI_CALENDAR_PASSWORD", "MVOI_CALENDAR_PASSWORD_FILE",
                           "MVOI_CALENDAR_NAME", "MVOI_CALENDAR_OUTBOX_DIR", "MVOI_LOG_LEVEL" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    ut_tmpdir(s_dir, sizeof s_dir, "cfg");
}

static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(config, .init = s_setup, .fini = s_teardown);

static const char *s_write(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);    /* a secret file others can read is refused (test_config_secret.c) */
    return path;
}

static cfg_t *s_new(const char *ini, char *err, size_t errlen)
{
    return cfg_new("calendar", specs, NSPECS, ini, err, errlen);
}

Test(config, defaults_when_nothing_is_set)
{
    char err[256];
    cfg_t *c = s_new(NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_str_eq(cfg_str(c, "api"), "tcp://*:5555");
    cr_assert_eq(cfg_int(c, "port"), 8080);
    cr_assert_eq(cfg_bool(c, "verbose"), false);
    cr_assert_str_eq(cfg_origin(c, "port"), "default");
    cr_assert_null(cfg_str(c, "nope"));
    cr_assert_null(cfg_origin(c, "nope"));
    cfg_destroy(&c);
    cr_assert_null(c);
}

Test(config, env_names)
{
    char buf[64];
    cfg_env_name("calendar", &specs[0], buf, sizeof buf);
    cr_assert_str_eq(buf, "MVOI_CALENDAR_API");
    cfg_env_name("impact-calculator", &specs[1], buf, sizeof buf);
    cr_assert_str_eq(buf, "MVOI_IMPACT_CALCULATOR_PORT");
    cfg_env_name("calendar", &specs[6], buf, sizeof buf);
    cr_assert_str_eq(buf, "MVOI_LOG_LEVEL");
}

Test(config, precedence_env_over_ini_over_default)
{
    const char *ini = s_write("c.ini", "[mvoi]\nlog_level = debug\n\n[calendar]\nport = 9000\n"
                                       "name = ini-name\n\n[notifier]\nwhatever = 1\n");
    char err[256];
    cfg_t *c = s_new(ini, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(cfg_int(c, "port"), 9000);
    cr_assert_str_eq(cfg_origin(c, "port"), "ini");
    cr_assert_str_eq(cfg_str(c, "log_level"), "debug");
    cfg_destroy(&c);

    setenv("MVOI_CALENDAR_PORT", "9100", 1);
    setenv("MVOI_LOG_LEVEL", "warn", 1);
    c = s_new(ini, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(cfg_int(c, "port"), 9100);
    cr_assert_str_eq(cfg_origin(c, "port"), "env");
    cr_assert_str_eq(cfg_str(c, "log_level"), "warn");
    cr_assert_str_eq(cfg_str(c, "name"), "ini-name");
    cr_assert_str_eq(cfg_str(c, "api"), "tcp://*:5555");
    cr_assert_str_eq(cfg_origin(c, "api"), "default");
    cfg_destroy(&c);
}

Test(config, secret_from_file_without_trailing_newline)
{
    const char *path = s_write("pw", "s3cr3t\n");
    setenv("MVOI_CALENDAR_PASSWORD_FILE", path, 1);
    char err[256];
    cfg_t *c = s_new(NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_str_eq(cfg_str(c, "password"), "s3cr3t");
    cr_assert_str_eq(cfg_origin(c, "password"), "file");
    cfg_destroy(&c);

    setenv("MVOI_CALENDAR_PASSWORD", "from-env", 1);   /* env beats _FILE */
    c = s_new(NULL, err, sizeof err);
    cr_assert_str_eq(cfg_str(c, "password"), "from-env");
    cfg_destroy(&c);
}

Test(config, secret_file_missing_names_the_variable)
{
    setenv("MVOI_CALENDAR_PASSWORD_FILE", "/nonexistent/pw", 1);
    char err[256];
    cr_assert_null(s_new(NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "MVOI_CALENDAR_PASSWORD_FILE: cannot read"), "%s", err);
}

Test(config, file_variant_ignored_for_non_secrets)
{
    setenv("MVOI_CALENDAR_NAME_FILE", "/nonexistent", 1);
    char err[256];
    cfg_t *c = s_new(NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_str_eq(cfg_str(c, "name"), "heerlen");
    cfg_destroy(&c);
}

Test(config, unknown_ini_key_is_an_error)
{
    const char *ini = s_write("c.ini", "[calendar]\nport = 9000\nprot = 9001\n");
    char err[256];
    cr_assert_null(s_new(ini, err, sizeof err));
    cr_assert_not_null(strstr(err, "c.ini:3: unknown key 'prot' in section [calendar]"), "%s", err);
}

Test(config, shared_key_in_service_section_is_an_error)
{
    const char *ini = s_write("c.ini", "[calendar]\nlog_level = debug\n");
    char err[256];
    cr_assert_null(s_new(ini, err, sizeof err));
    cr_assert_not_null(strstr(err, "c.ini:2:"), "%s", err);
    cr_assert_not_null(strstr(err, "[mvoi]"), "%s", err);
}

Test(config, ini_syntax_error_gives_the_line)
{
    const char *ini = s_write("c.ini", "; comment\n[calendar]\nport = 1\nthis is not ini\n");
    char err[256];
    cr_assert_null(s_new(ini, err, sizeof err));
    cr_assert_not_null(strstr(err, "c.ini:4: syntax error"), "%s", err);
}

Test(config, ini_line_too_long_is_reported)
{
    char text[512];
    snprintf(text, sizeof text, "[calendar]\nname = %0300d\nport = 1\n", 0);
    const char *ini = s_write("c.ini", text);
    char err[256];
    cr_assert_null(s_new(ini, err, sizeof err));
    cr_assert_not_null(strstr(err, "c.ini:2: line longer than"), "%s", err);
}

Test(config, ini_missing_file)
{
    char err[256];
    cr_assert_null(s_new("/nonexistent/mvoi.ini", err, sizeof err));
    cr_assert_not_null(strstr(err, "/nonexistent/mvoi.ini: cannot open"), "%s", err);
}

Test(config, bad_int_names_the_key)
{
    setenv("MVOI_CALENDAR_PORT", "abc", 1);
    char err[256];
    cr_assert_null(s_new(NULL, err, sizeof err));
    cr_assert_str_eq(err, "MVOI_CALENDAR_PORT: must be an integer between 1 and 65535, got 'abc'");
    setenv("MVOI_CALENDAR_PORT", "65536", 1);
    cr_assert_null(s_new(NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "got '65536'"), "%s", err);
    setenv("MVOI_CALENDAR_PORT", "12x", 1);
    cr_assert_null(s_new(NULL, err, sizeof err));
    setenv("MVOI_CALENDAR_PORT", "", 1);
    cr_assert_null(s_new(NULL, err, sizeof err));
}

Test(config, bad_int_from_ini_says_where)
{
    const char *ini = s_write("c.ini", "[calendar]\n\nport = 0\n");
    char err[256];
    cr_assert_null(s_new(ini, err, sizeof err));
    cr_assert_not_null(strstr(err, "MVOI_CALENDAR_PORT: must be an integer between 1 and 65535, "
                                   "got '0'"), "%s", err);
    cr_assert_not_null(strstr(err, "c.ini:3 [calendar] port"), "%s", err);
}

Test(config, bool_values)
{
    const char *yes[] = { "true", "YES", "1", "on" }, *no[] = { "false", "no", "0", "Off" };
    char err[256];
    for (int i = 0; i < 4; i++) {
        setenv("MVOI_CALENDAR_VERBOSE", yes[i], 1);
        cfg_t *c = s_new(NULL, err, sizeof err);
        cr_assert_not_null(c, "%s", err);
        cr_assert(cfg_bool(c, "verbose"), "%s", yes[i]);
        cfg_destroy(&c);
        setenv("MVOI_CALENDAR_VERBOSE", no[i], 1);
        c = s_new(NULL, err, sizeof err);
        cr_assert_not_null(c, "%s", err);
        cr_assert_not(cfg_bool(c, "verbose"), "%s", no[i]);
        cfg_destroy(&c);
    }
    setenv("MVOI_CALENDAR_VERBOSE", "maybe", 1);
    cr_assert_null(s_new(NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "MVOI_CALENDAR_VERBOSE: must be a boolean"), "%s", err);
    cr_assert_not_null(strstr(err, "got 'maybe'"), "%s", err);
}

Test(config, endpoints)
{
    const char *good[] = { "tcp://127.0.0.1:5555", "tcp://*:5555", "tcp://calendar:1",
                           "tcp://[::1]:5555", "tcp://127.0.0.1:*", "ipc:///tmp/x.sock",
                           "inproc://calendar" };
    const char *bad[] = { "http://x:1", "tcp://localhost", "tcp://:5555", "tcp://h:0",
                          "tcp://h:99999", "tcp://h:abc", "ipc://", "inproc://", "5555", "" };
    char err[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        setenv("MVOI_CALENDAR_API", good[i], 1);
        cfg_t *c = s_new(NULL, err, sizeof err);
        cr_assert_not_null(c, "%s: %s", good[i], err);
        cr_assert_str_eq(cfg_str(c, "api"), good[i]);
        cfg_destroy(&c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("MVOI_CALENDAR_API", bad[i], 1);
        cr_assert_null(s_new(NULL, err, sizeof err), "%s accepted", bad[i]);
        cr_assert_eq(strncmp(err, "MVOI_CALENDAR_API: ", 19), 0, "%s", err);
    }
    setenv("MVOI_CALENDAR_API", "tcp://localhost", 1);
    s_new(NULL, err, sizeof err);
    cr_assert_not_null(strstr(err, "host:port"), "%s", err);
}

/* An endpoint is kept in CFG_ENDPOINT_MAX + 1 bytes by the services (the gateway's
 * upstreams): one longer was cut there, and a cut in the port connected elsewhere. Now the
 * setting is refused; the longest that fits is taken whole. */
Test(config, endpoint_longer_than_the_services_hold_is_refused)
{
    char ep[CFG_ENDPOINT_MAX + 8], err[256];
    for (int extra = 0; extra < 2; extra++) {
        size_t host = CFG_ENDPOINT_MAX + extra - strlen("tcp://") - strlen(":5555");
        memcpy(ep, "tcp://", 6);
        memset(ep + 6, 'h', host);
        strcpy(ep + 6 + host, ":5555");
        cr_assert_eq(strlen(ep), (size_t)CFG_ENDPOINT_MAX + extra);
        setenv("MVOI_CALENDAR_API", ep, 1);
        cfg_t *c = s_new(NULL, err, sizeof err);
        if (!extra) {
            cr_assert_not_null(c, "%s", err);
            cr_assert_str_eq(cfg_str(c, "api"), ep);
            cfg_destroy(&c);
        } else {
            cr_assert_null(c, "an endpoint of %zu bytes was taken", strlen(ep));
            cr_assert_not_null(strstr(err, "endpoint longer than 255 bytes"), "%s", err);
        }
    }
}

Test(config, empty_path_is_an_error)
{
    setenv("MVOI_CALENDAR_OUTBOX_DIR", "", 1);
    char err[256];
    cr_assert_null(s_new(NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "MVOI_CALENDAR_OUTBOX_DIR: must be a non-empty path"), "%s", err);
}

Test(config, required_key_missing)
{
    static const cfg_spec_t req[] = { { "smtp_url", CFG_STRING, NULL, "SMTP server" } };
    char err[256];
    cr_assert_null(cfg_new("notifier", req, 1, NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "MVOI_NOTIFIER_SMTP_URL: required"), "%s", err);
    setenv("MVOI_NOTIFIER_SMTP_URL", "smtp://mail:587", 1);
    cfg_t *c = cfg_new("notifier", req, 1, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cfg_destroy(&c);
}

Test(config, print_redacts_secrets)
{
    setenv("MVOI_CALENDAR_PASSWORD", "hunter2", 1);
    char err[256];
    cfg_t *c = s_new(NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_print(c, f);
    fclose(f);
    cr_assert_null(strstr(buf, "hunter2"), "%s", buf);
    cr_assert_not_null(strstr(buf, "MVOI_CALENDAR_PASSWORD=(redacted)  # env\n"), "%s", buf);
    cr_assert_not_null(strstr(buf, "MVOI_CALENDAR_PORT=8080  # default\n"), "%s", buf);
    cr_assert_not_null(strstr(buf, "MVOI_LOG_LEVEL=info  # default\n"), "%s", buf);
    free(buf);
    cfg_destroy(&c);
}

Test(config, required_secret_mentions_file_variant)
{
    static const cfg_spec_t s[] = { { "token", CFG_SECRET, NULL, "token" } };
    char err[256];
    cr_assert_null(cfg_new("gateway", s, 1, NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "MVOI_GATEWAY_TOKEN_FILE"), "help mentions _FILE: %s", err);
}

Test(config, print_help_lists_names_defaults_help)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_print_help("calendar", specs, NSPECS, f);
    fclose(f);
    cr_assert_not_null(strstr(buf, "MVOI_CALENDAR_API"), "%s", buf);
    cr_assert_not_null(strstr(buf, "tcp://*:5555"), "%s", buf);
    cr_assert_not_null(strstr(buf, "ROUTER endpoint"), "%s", buf);
    cr_assert_not_null(strstr(buf, "1..65535"), "%s", buf);
    cr_assert_not_null(strstr(buf, "MVOI_CALENDAR_PASSWORD_FILE"), "%s", buf);
    cr_assert_not_null(strstr(buf, "MVOI_LOG_LEVEL"), "%s", buf);
    free(buf);
}

Test(config, bad_spec_rejected)
{
    static const cfg_spec_t dup[] = { { "a", CFG_STRING, "" }, { "a", CFG_STRING, "" } };
    static const cfg_spec_t upper[] = { { "Api", CFG_STRING, "" } };
    char err[128];
    cr_assert_null(cfg_new("x", dup, 2, NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "duplicate"));
    cr_assert_null(cfg_new("x", upper, 1, NULL, err, sizeof err));
}

/* ---- unknown MVOI_* variables (config_env.c) ---- */

typedef struct {
    int n;
    char names[4][64];
    char closest[4][64];
} unknown_t;

static void s_on_unknown(void *arg, const char *name, const char *closest)
{
    unknown_t *u = arg;
    if (u->n < 4) {
        snprintf(u->names[u->n], 64, "%s", name);
        snprintf(u->closest[u->n], 64, "%s", closest ? closest : "");
    }
    u->n++;
}

Test(config, unknown_variables_name_the_closest_known_one)
{
    static const cfg_spec_t keys[] = {
        { "api", CFG_ENDPOINT, "tcp://127.0.0.1:1", "api" },
        { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:2", "upstream" },
        { "secret", CFG_SECRET_URL, "", "a secret URL" },
        { "data_dir", CFG_PATH, "/x", "shared", 0, 0, true },
    };
    char *env[] = {
        "MVOI_REPORT_IMPACT_APII=x",       /* ours, misspelt */
        "MVOI_DATADIR=/y",                 /* shared, misspelt */
        "MVOI_REPORT_SECRET_FILE=/s",      /* a secret's file: known */
        "MVOI_REPORT_API=tcp://a:1",       /* known */
        "MVOI_GATEWAY_LISTEN=0.0.0.0:1",   /* another program's: not ours to judge */
        "MVOI_KPI_PUB=tcp://k:2",          /* mvoictl's */
        "PATH=/bin",
        NULL };
    unknown_t u = { 0 };
    cr_assert_eq(cfg_check_env("report", keys, 4, env, s_on_unknown, &u), 2);
    cr_assert_str_eq(u.names[0], "MVOI_REPORT_IMPACT_APII");
    cr_assert_str_eq(u.closest[0], "MVOI_REPORT_API");
    cr_assert_str_eq(u.names[1], "MVOI_DATADIR");
    cr_assert_str_eq(u.closest[1], "MVOI_DATA_DIR");
}
