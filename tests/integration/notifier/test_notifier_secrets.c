/*  The real mvoi-notifier binary never shows a credential: --print-config with an SMTP URL
 *  carrying user:password and a webhook URL read from MVOI_NOTIFIER_WEBHOOK_URL_FILE, and a
 *  start refused (exit 78, secret_file_permissions) when that file is readable by others. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_dir[64];

static void s_setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/mvoi-ntsec-XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", s_dir);
}

TestSuite(notifier_secrets, .init = s_setup, .fini = s_teardown, .timeout = 30);

static const char *s_hook(mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/webhook-url", s_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("https://hooks.example.org/services/T0/B0/s3cr3tpath?sig=c2lnbmF0dXJl\n", f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

/* Runs the notifier with args; stdout and stderr into *out; returns the exit status. */
static int s_run(const char *args, const char *hook, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "env -i PATH=/usr/bin:/bin MVOI_DATA_DIR='%s' "
             "MVOI_NOTIFIER_SMTP_URL='smtps://mvoi:pa55word@mail.example.org:465' "
             "MVOI_NOTIFIER_SMTP_PASSWORD=other-secret "
             "MVOI_NOTIFIER_WEBHOOK_URL_FILE='%s' '%s' %s 2>&1",
             s_dir, hook, NOTIFIER_BIN, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t cap = 1 << 16, n = 0;
    *out = calloc(1, cap);
    size_t r;
    while ((r = fread(*out + n, 1, cap - 1 - n, p)) > 0)
        n += r;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void s_no_secret(const char *out)
{
    static const char *secrets[] = { "pa55word", "mvoi:", "s3cr3tpath", "c2lnbmF0dXJl",
                                     "other-secret" };
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        cr_expect(strstr(out, secrets[i]) == NULL, "'%s' shown:\n%s", secrets[i], out);
}

Test(notifier_secrets, print_config_redacts_urls)
{
    char *out = NULL;
    cr_expect_eq(s_run("--print-config", s_hook(0600), &out), 0, "%s", out);
    s_no_secret(out);
    cr_expect(strstr(out, "MVOI_NOTIFIER_SMTP_URL=smtps://(redacted)@mail.example.org:465  # env")
              != NULL, "%s", out);
    cr_expect(strstr(out, "MVOI_NOTIFIER_WEBHOOK_URL=https://hooks.example.org/(redacted)  # file")
              != NULL, "%s", out);
    cr_expect(strstr(out, "MVOI_NOTIFIER_SMTP_PASSWORD=(redacted)") != NULL, "%s", out);
    free(out);
}

Test(notifier_secrets, world_readable_secret_file_is_refused)
{
    char *out = NULL;
    cr_expect_eq(s_run("--print-config", s_hook(0644), &out), 78, "%s", out);
    cr_expect(strstr(out, "MVOI_NOTIFIER_WEBHOOK_URL_FILE: secret_file_permissions") != NULL,
              "%s", out);
    cr_expect(strstr(out, "0644") != NULL, "%s", out);
    s_no_secret(out);
    free(out);
}
