/*  config: typed settings from MVOI_* environment variables and an optional INI file.
 *
 *  Each service declares its keys in a cfg_spec_t table. For key "api" of service
 *  "calendar" the sources are, first match wins:
 *    1. environment MVOI_CALENDAR_API (shared keys: MVOI_API)
 *    2. for secrets, MVOI_CALENDAR_API_FILE / MVOI_API_FILE: the file's content, trailing
 *       newline removed (so that secrets never sit in the environment or the INI file).
 *       A regular file that others may read or write, or the group may write (mode & 027),
 *       is refused: a secret that every local user can read is no secret. Group read is
 *       allowed (a Kubernetes Secret volume with fsGroup is 0440); devices and pipes
 *       (/dev/null, <(...)) are not checked.
 *    3. the INI file: section [calendar] (shared keys: section [mvoi]), key "api"
 *    4. the spec's default
 *  Every value is validated at cfg_new(); the first bad one is reported by key and reason
 *  so that the service can exit with EX_CONFIG (78).
 */
#ifndef MVOI_CONFIG_H
#define MVOI_CONFIG_H

/* The longest endpoint a CFG_ENDPOINT setting may hold (bytes, without the NUL): the
 * services keep endpoints in buffers of CFG_ENDPOINT_MAX + 1. */
#define CFG_ENDPOINT_MAX 255

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CFG_STRING = 0,
    CFG_INT,       /* decimal, within [min, max] */
    CFG_BOOL,      /* true/false, yes/no, 1/0, on/off */
    CFG_SECRET,    /* string, redacted in print, may come from *_FILE */
    CFG_ENDPOINT,  /* zmq endpoint: tcp://host:port, ipc://path, inproc://name */
    CFG_PATH,      /* non-empty path */
    CFG_SECRET_URL,/* URL that may carry credentials (user:password@, a token in the path or
                    * query): printed as scheme://host:port only, may come from *_FILE */
} cfg_type_t;

typedef struct {
    const char *key;      /* lower case, [a-z0-9_] */
    cfg_type_t type;
    const char *def;      /* default as text; NULL = required */
    const char *help;     /* one line for --help */
    int64_t min, max;     /* CFG_INT bounds (both 0: unbounded) */
    bool shared;          /* MVOI_<KEY> instead of MVOI_<SERVICE>_<KEY> */
} cfg_spec_t;

typedef struct cfg_t cfg_t;

/* ini_path may be NULL. On error returns NULL and writes "KEY: reason" into err. */
cfg_t *cfg_new(const char *service, const cfg_spec_t *specs, int nspecs,
               const char *ini_path, char *err, size_t errlen);
void cfg_destroy(cfg_t **self_p);

const char *cfg_str(cfg_t *self, const char *key);   /* NULL if unknown key */
int64_t cfg_int(cfg_t *self, const char *key);
bool cfg_bool(cfg_t *self, const char *key);
/* Where the value came from: "env", "file", "ini", "default". */
const char *cfg_origin(cfg_t *self, const char *key);

/* Environment variable name of a key (e.g. "MVOI_CALENDAR_API"). */
void cfg_env_name(const char *service, const cfg_spec_t *spec, char *buf, size_t len);
/* --print-config: KEY=value lines with origin, secrets shown as "(redacted)". */
void cfg_print(cfg_t *self, FILE *out);
/* A URL without what may be a credential: "smtp://(redacted)@mail.example.org:587" and
 * "https://hooks.example.org/(redacted)"; anything that does not parse as
 * scheme://authority is "(redacted)" as a whole. Always NUL-terminates out. */
void cfg_redact_url(const char *url, char *out, size_t len);
/* A secret from a file other than a *_FILE variable (e.g. one a service's own file names),
 * checked as those are: mode & 027 refused ("secret_file_permissions: ..."), at most 64 KiB,
 * no NUL, one trailing newline removed. 0 with *out (the caller clears and frees it), or a
 * negative errno with why. */
int cfg_read_secret(const char *path, char **out, char *why, size_t len);
/* --help section listing every variable, its default and help. */
void cfg_print_help(const char *service, const cfg_spec_t *specs, int nspecs, FILE *out);

/* MVOI_* variables in env that this service would read if they were spelt right: those
 * with its own prefix and those of no mvoi program; fn gets each with the closest known
 * variable (NULL if none). Returns how many. (config_env.c) */
typedef void (cfg_unknown_fn)(void *arg, const char *name, const char *closest);
int cfg_check_env(const char *service, const cfg_spec_t *specs, int nspecs,
                  char *const *env, cfg_unknown_fn *fn, void *arg);

#endif
