/*  config_env: MVOI_* variables in the environment that nobody reads (see config.h).
 *
 *  One environment file usually serves every mvoi program (the ConfigMap, mvoi.env), so a
 *  service only judges the variables it could own: those with its own prefix, and those
 *  with the prefix of no mvoi program at all. A misspelt key would otherwise fall back to
 *  its default without a word.
 */
#include "config.h"

#include <string.h>

/* Programs whose variables may share an environment with ours (prefix after "MVOI_"). */
static const char *const s_programs[] = {
    "CALENDAR_", "IMPACT_CALCULATOR_", "KPI_AGGREGATOR_", "NOTIFIER_", "REPORT_",
    "GATEWAY_", NULL };
/* What mvoictl reads (it has no --help listing of variables). */
static const char *const s_ctl_vars[] = {
    "MVOI_CALENDAR_API", "MVOI_IMPACT_API", "MVOI_KPI_API", "MVOI_KPI_PUB",
    "MVOI_NOTIFIER_API", "MVOI_REPORT_API", "MVOI_BUYER", "MVOI_LANG",
    "MVOI_CTL_TIMEOUT_MS", "MVOI_CONFIG",
    "MVOI_TRACE_HOPS",   /* every server's diagnostic hop trace (server_trace.c) */
    NULL };

/* Levenshtein distance of two short names, bounded by the buffer (longer: far apart). */
static size_t s_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 127 || lb > 127)
        return 1000;
    size_t row[128];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static bool s_in(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

int cfg_check_env(const char *service, const cfg_spec_t *specs, int nspecs,
                  char *const *env, cfg_unknown_fn *fn, void *arg)
{
    char own[96];
    size_t olen = 0;
    for (const char *p = service; *p && olen < sizeof own - 2; p++)
        own[olen++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    own[olen++] = '_';
    own[olen] = '\0';
    int unknown = 0;
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        size_t len = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
        char name[128];
        if (len >= sizeof name || strncmp(env[i], "MVOI_", 5) != 0)
            continue;
        memcpy(name, env[i], len);
        name[len] = '\0';
        const char *rest = name + 5;
        bool mine = strncmp(rest, own, olen) == 0;
        bool other = false;
        for (size_t k = 0; !mine && s_programs[k]; k++)
            other |= strncmp(rest, s_programs[k], strlen(s_programs[k])) == 0;
        if ((other && !mine) || s_in(s_ctl_vars, name))
            continue;
        const char *best = NULL;
        size_t best_d = (size_t)-1;
        bool known = false;
        for (int k = 0; k < nspecs && !known; k++) {
            char var[128], file[136];
            cfg_env_name(service, &specs[k], var, sizeof var);
            snprintf(file, sizeof file, "%s_FILE", var);
            bool secret = specs[k].type == CFG_SECRET || specs[k].type == CFG_SECRET_URL;
            if (strcmp(var, name) == 0 || (secret && strcmp(file, name) == 0)) {
                known = true;
                break;
            }
            size_t d = s_distance(name, var);
            if (d < best_d) {
                best_d = d;
                best = specs[k].key;
            }
        }
        if (known)
            continue;
        char closest[128] = "";
        for (int k = 0; best && k < nspecs; k++)
            if (specs[k].key == best)
                cfg_env_name(service, &specs[k], closest, sizeof closest);
        unknown++;
        if (fn)
            fn(arg, name, closest[0] ? closest : NULL);
    }
    return unknown;
}
