/*  cal_it: what the calendar integration tests share. See cal_it.h. */
#include "cal_it.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
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
