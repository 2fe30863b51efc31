/*  config: secrets that never leak. URLs with credentials are shown without them in
 *  --print-config and in error messages, they come from *_FILE like every secret, and a
 *  secret file that others may read (or the group may change) is refused by name. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit_tmp.h"

static const cfg_spec_t specs[] = {
    { "password", CFG_SECRET, "", "SMTP password" },
    { "smtp_url", CFG_SECRET_URL, "", "SMTP server" },
    { "webhook_url", CFG_SECRET_URL, "", "webhook" },
};
#define NSPECS ((int) (sizeof specs / sizeof specs[0]))

static char s_dir[64];

static void s_setup(void)
{
    const char *vars[] = { "MVOI_NOTIFIER_PASSWORD", "MVOI_NOTIFIER_PASSWORD_FILE",
                           "MVOI_NOTIFIER_SMTP_URL", "MVOI_NOTIFIER_SMTP_URL_FILE",
                           "MVOI_NOTIFIER_WEBHOOK_URL", "MVOI_NOTIFIER_WEBHOOK_URL_FILE" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    ut_tmpdir(s_dir, sizeof s_dir, "cfgsec");
}

static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(config_secret, .init = s_setup, .fini = s_teardown);

static const char *s_write(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

static cfg_t *s_new(char *err, size_t errlen)
{
    return cfg_new("notifier", specs, NSPECS, NULL, err, errlen);
}

static char *s_print(cfg_t *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cfg_print(c, m);
    fclose(m);
    return buf;
}

Test(config_secret, redact_url)
{
    static const struct { const char *in, *out; } v[] = {
        { "smtp://mvoi:pa55word@mail.example.org:587", "smtp://(redacted)@mail.example.org:587" },
        { "smtps://u@ser:p@ss@mail.example.org", "smtps://(redacted)@mail.example.org" },
        { "https://x.webhook.office.com/webhookb2/abc/IncomingWebhook/def?sig=Zm9v",
          "https://x.webhook.office.com/(redacted)" },
        { "https://hooks.example.org?token=t0k3n", "https://hooks.example.org/(redacted)" },
        { "https://hooks.example.org#frag", "https://hooks.example.org/(redacted)" },
        { "smtp://127.0.0.1:2525", "smtp://127.0.0.1:2525" },
        { "", "" },
        { "mvoi:pa55word@mail.example.org", "(redacted)" },
        { "://pa55word@x", "(redacted)" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[128];
        cfg_redact_url(v[i].in, out, sizeof out);
        cr_expect_str_eq(out, v[i].out, "%s", v[i].in);
    }
    char tiny[24];   /* too small for the host: the whole URL goes, never a cut one */
    cfg_redact_url("smtp://a:b@very-long-host-name.example.org", tiny, sizeof tiny);
    cr_expect_str_eq(tiny, "(redacted)");
}

Test(config_secret, print_config_shows_no_credentials)
{
    setenv("MVOI_NOTIFIER_SMTP_URL", "smtp://mvoi:pa55word@mail.example.org:587", 1);
    setenv("MVOI_NOTIFIER_WEBHOOK_URL_FILE",
           s_write("hook", "https://hooks.example.org/services/T0/B0/s3cr3tpath?sig=Zm9v\n", 0600),
           1);
    char err[512];
    cfg_t *c = s_new(err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(cfg_str(c, "smtp_url"), "smtp://mvoi:pa55word@mail.example.org:587");
    cr_expect_str_eq(cfg_str(c, "webhook_url"),
                     "https://hooks.example.org/services/T0/B0/s3cr3tpath?sig=Zm9v");
    cr_expect_str_eq(cfg_origin(c, "webhook_url"), "file");
    char *out = s_print(c);
    cr_expect(strstr(out, "pa55word") == NULL, "%s", out);
    cr_expect(strstr(out, "s3cr3tpath") == NULL && strstr(out, "Zm9v") == NULL, "%s", out);
    cr_expect(strstr(out, "MVOI_NOTIFIER_SMTP_URL=smtp://(redacted)@mail.example.org:587  # env\n")
              != NULL, "%s", out);
    cr_expect(strstr(out, "MVOI_NOTIFIER_WEBHOOK_URL=https://hooks.example.org/(redacted)  # file\n")
              != NULL, "%s", out);
    free(out);
    cfg_destroy(&c);
}

Test(config_secret, bad_secret_url_is_not_echoed)
{
    setenv("MVOI_NOTIFIER_SMTP_URL", "mvoi:pa55word@mail.example.org", 1);
    char err[512];
    cr_assert_null(s_new(err, sizeof err));
    cr_expect(strstr(err, "MVOI_NOTIFIER_SMTP_URL: must be a URL") != NULL, "%s", err);
    cr_expect(strstr(err, "pa55word") == NULL, "%s", err);
}

Test(config_secret, help_names_the_file_variant)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cfg_print_help("notifier", specs, NSPECS, m);
    fclose(m);
    cr_expect(strstr(buf, "MVOI_NOTIFIER_WEBHOOK_URL_FILE") != NULL, "%s", buf);
    cr_expect(strstr(buf, "MVOI_NOTIFIER_SMTP_URL_FILE") != NULL, "%s", buf);
    free(buf);
}

/* Mode by mode: others' bits and group write refused with the named error, the mode shown;
 * owner-only and group-read accepted. */
Test(config_secret, file_permissions)
{
    static const struct { mode_t mode; bool ok; } v[] = {
        { 0600, true }, { 0400, true }, { 0640, true }, { 0440, true },
        { 0644, false }, { 0604, false }, { 0602, false }, { 0601, false }, { 0660, false },
        { 0620, false }, { 0666, false },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *p = s_write("pw", "s3cr3t\n", v[i].mode);
        setenv("MVOI_NOTIFIER_PASSWORD_FILE", p, 1);
        char err[512] = "";
        cfg_t *c = s_new(err, sizeof err);
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned) v[i].mode);
        if (v[i].ok) {
            cr_expect_not_null(c, "mode %s: %s", mode, err);
            if (c)
                cr_expect_str_eq(cfg_str(c, "password"), "s3cr3t");
        } else {
            cr_expect_null(c, "mode %s accepted", mode);
            cr_expect(strstr(err, "MVOI_NOTIFIER_PASSWORD_FILE: secret_file_permissions") != NULL,
                      "mode %s: %s", mode, err);
            cr_expect(strstr(err, mode) != NULL, "mode %s named: %s", mode, err);
            cr_expect(strstr(err, "s3cr3t") == NULL, "%s", err);
        }
        cfg_destroy(&c);
    }
}

/* The same check guards the URL secrets, and a device (compose's /dev/null) is not a file. */
Test(config_secret, url_file_permissions_and_devices)
{
    setenv("MVOI_NOTIFIER_SMTP_URL_FILE", s_write("url", "smtp://u:p@h:25", 0644), 1);
    char err[512] = "";
    cr_expect_null(s_new(err, sizeof err));
    cr_expect(strstr(err, "MVOI_NOTIFIER_SMTP_URL_FILE: secret_file_permissions") != NULL, "%s",
              err);
    unsetenv("MVOI_NOTIFIER_SMTP_URL_FILE");
    setenv("MVOI_NOTIFIER_PASSWORD_FILE", "/dev/null", 1);
    cfg_t *c = s_new(err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(cfg_str(c, "password"), "");
    cfg_destroy(&c);
}
