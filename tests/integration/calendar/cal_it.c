/*  cal_it: what the calendar integration tests share. See cal_it.h. */
#include "cal_it.h"

#include <criterion/criterion.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int cal_it_ctl(const char *dir, const char *ctl, const char *const *envp, char *out,
               size_t outlen, const char *const *args)
{
    char path[256], errpath[256];
    snprintf(path, sizeof path, "%s/ctl.out", dir);
    snprintf(errpath, sizeof errpath, "%s/ctl.err", dir);
    const char *argv[32];
    int n = 0;
    argv[n++] = ctl;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    size_t ne = 0, ce = 0;
    while (environ[ne])
        ne++;
    while (envp[ce])
        ce++;
    char **env = calloc(ne + ce + 1, sizeof *env);
    if (!env)
        return -1;
    for (size_t i = 0; i < ce; i++)
        env[i] = (char *)envp[i];
    for (size_t i = 0; i < ne; i++)
        env[ce + i] = environ[i];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, ctl, &fa, NULL, (char **)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (rc != 0)
        return -1;
    int st = 0;
    waitpid(pid, &st, 0);
    if (out && outlen) {
        FILE *f = fopen(path, "r");
        size_t r = f ? fread(out, 1, outlen - 1, f) : 0;
        out[r] = '\0';
        if (f)
            fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void cal_it_start(cal_it_fx_t *f, const char *buyer)
{
    memset(f, 0, sizeof *f);
    h_tmpdir(f->dir, sizeof f->dir);
    cr_assert(f->dir[0]);
    snprintf(f->api, sizeof f->api, "ipc://%s/api", f->dir);
    int i = 0;
    snprintf(f->env[i++], 256, "MVOI_DATA_DIR=%s", f->dir);
    snprintf(f->env[i++], 256, "MVOI_CALENDAR_API=%s", f->api);
    snprintf(f->env[i++], 256, "MVOI_CALENDAR_PUB=ipc://%s/pub", f->dir);
    snprintf(f->env[i++], 256, "MVOI_LOG_LEVEL=warn");
    snprintf(f->env[i++], 256, "MVOI_BUYER=%s", buyer);
    for (int k = 0; k < i; k++)
        f->envp[k] = f->env[k];
    h_bin(f->bin, sizeof f->bin, "services/calendar/mvoi-calendar");
    h_bin(f->ctl, sizeof f->ctl, "services/mvoictl/mvoictl");
    cr_assert_eq(h_spawn(&f->proc, f->bin, "calendar", f->dir, f->envp), 0);
    cr_assert_eq(h_wait_healthy(f->api, 10000), 0, "mvoi-calendar did not come up");
}

void cal_it_stop(cal_it_fx_t *f)
{
    h_kill9(&f->proc);
    h_tmpdir_remove(f->dir);
}

const char *cal_it_err(const cal_it_fx_t *f)
{
    static char buf[1 << 14];
    char path[256];
    snprintf(path, sizeof path, "%s/ctl.err", f->dir);
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    buf[n] = '\0';
    if (fp)
        fclose(fp);
    return buf;
}

const char *cal_it_file(const cal_it_fx_t *f, const char *name, const char *bytes, size_t len)
{
    static char path[8][256];
    static int k;
    char *p = path[k++ % 8];
    cr_assert_lt((size_t)snprintf(p, 256, "%s/%s", f->dir, name), (size_t)256, "path of %s", name);
    FILE *fp = fopen(p, "wb");
    cr_assert_not_null(fp, "cannot write %s", p);
    size_t n = len ? len : strlen(bytes);
    cr_assert_eq(fwrite(bytes, 1, n, fp), n, "short write of %s", p);
    cr_assert_eq(fclose(fp), 0, "cannot close %s", p);
    return p;
}
