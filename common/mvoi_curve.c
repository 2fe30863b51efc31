/*  mvoi_curve: CURVE settings of a process and their application to sockets. See
 *  mvoi_curve.h. */
#include "mvoi_curve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "textfmt.h"

const cfg_spec_t mvoi_curve_specs[] = {
    { "curve", CFG_BOOL, "on",
      "CURVE on every ZeroMQ socket (encrypted, client keys checked against MVOI_KEYS_FILE); "
      "off = plaintext without authentication, for benchmarks only (warned at start)",
      0, 0, true },
    { "curve_server_key", CFG_SECRET, "",
      "the bus server's secret key (Z85, mvoictl keys generate), held by the services that "
      "bind; use MVOI_CURVE_SERVER_KEY_FILE", 0, 0, true },
    { "curve_server_public", CFG_STRING, "",
      "the bus server's public key (Z85), for clients that do not hold the server key", 0, 0,
      true },
    { "curve_server_public_file", CFG_STRING, "",
      "a file holding the bus server's public key (e.g. bus.pub), instead of "
      "MVOI_CURVE_SERVER_PUBLIC", 0, 0, true },
    { "curve_key", CFG_SECRET, "",
      "this process's own secret key (Z85), its identity as a client; services that bind "
      "default to the server key; use MVOI_CURVE_KEY_FILE", 0, 0, true },
    { "keys_file", CFG_STRING, "",
      "key registry (INI: [name] public, role, buyers): the client keys admitted, with their "
      "role and buyers; required where the server key is; read again on SIGHUP (a file that "
      "does not load keeps the keys in force)", 0, 0, true },
};
const int mvoi_curve_nspecs = (int)(sizeof mvoi_curve_specs / sizeof mvoi_curve_specs[0]);

static mvoi_curve_t s_curve;
static bool s_curve_set;

void mvoi_curve_set(const mvoi_curve_t *c)
{
    s_curve_set = c != NULL;
    if (c)
        s_curve = *c;
}

const mvoi_curve_t *mvoi_curve_get(void) { return s_curve_set ? &s_curve : NULL; }

void mvoi_curve_set_auth(const mvoi_auth_t *auth)
{
    if (s_curve_set)
        s_curve.auth = auth;
}

const char *mvoi_curve_key_name(const char *user)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    const mvoi_key_t *k = c && c->auth && user ? mvoi_auth_find_pub(c->auth, user) : NULL;
    return k ? k->name : user ? user : "";
}

static int s_public_of(const char *secret, char pub[41])
{
    uint8_t bin[32];
    if (strlen(secret) != 40 || !zmq_z85_decode(bin, secret))
        return -EINVAL;
    return zmq_curve_public(pub, secret) == 0 ? 0 : -EINVAL;
}

static bool s_z85_ok(const char *k)
{
    uint8_t bin[32];
    return strlen(k) == 40 && zmq_z85_decode(bin, k) != NULL;
}

static int s_fail(char *err, size_t cap, const char *var, const char *why)
{
    snprintf(err, cap, "%s: %s", var, why);
    return -EINVAL;
}

/* A public key from a file: 40 Z85 characters and an optional newline, nothing else. */
static int s_read_public(const char *path, char out[41], char *err, size_t cap)
{
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    else {
        snprintf(err, cap, "MVOI_CURVE_SERVER_PUBLIC_FILE: cannot read '%s': %s", path,
                 strerror(errno));
        return -EINVAL;
    }
    buf[n] = 0;
    if (n && buf[n - 1] == '\n')
        buf[--n] = 0;
    if (!s_z85_ok(buf)) {
        snprintf(err, cap, "MVOI_CURVE_SERVER_PUBLIC_FILE: '%s' does not hold a 40-character "
                 "Z85 key", path);
        return -EINVAL;
    }
    memcpy(out, buf, 41);
    return 0;
}

/* The values of the keys, whatever their source. */
static int s_build(bool on, const char *server_secret, const char *server_public,
                   const char *own, const char *keys_file, bool need_registry,
                   mvoi_curve_t *out, mvoi_auth_t **auth_out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    *auth_out = NULL;
    out->on = on;
    if (!on)
        return 0;
    if (*server_secret) {
        if (s_public_of(server_secret, out->server_public) != 0)
            return s_fail(err, cap, "MVOI_CURVE_SERVER_KEY", "not a 40-character Z85 secret key");
        memcpy(out->server_secret, server_secret, 41);
        out->serves = true;
    } else if (*server_public) {
        if (!s_z85_ok(server_public))
            return s_fail(err, cap, "MVOI_CURVE_SERVER_PUBLIC", "not a 40-character Z85 key");
        memcpy(out->server_public, server_public, 41);
    } else
        return s_fail(err, cap, "MVOI_CURVE_SERVER_KEY_FILE",
                      "CURVE is on (MVOI_CURVE) but neither the bus server key nor its public "
                      "half (MVOI_CURVE_SERVER_PUBLIC) is set; mvoictl keys generate makes "
                      "keys; MVOI_CURVE=off runs without encryption (benchmarks only)");
    const char *mine = *own ? own : out->server_secret;
    if (!*mine)
        return s_fail(err, cap, "MVOI_CURVE_KEY_FILE",
                      "a client needs its own secret key (mvoictl keys generate)");
    if (s_public_of(mine, out->public_) != 0)
        return s_fail(err, cap, "MVOI_CURVE_KEY", "not a 40-character Z85 secret key");
    memcpy(out->secret, mine, 41);
    if (need_registry && out->serves && !*keys_file)
        return s_fail(err, cap, "MVOI_KEYS_FILE",
                      "a service holding the server key needs the key registry");
    if (*keys_file) {
        char why[300];
        mvoi_auth_t *a = mvoi_auth_load(keys_file, why, sizeof why);
        if (!a)
            return s_fail(err, cap, "MVOI_KEYS_FILE", why);
        out->auth = *auth_out = a;
    }
    return 0;
}

/* MVOI_CURVE_SERVER_PUBLIC, or the file MVOI_CURVE_SERVER_PUBLIC_FILE names. */
static int s_server_public(cfg_t *cfg, char out[41], char *err, size_t cap)
{
    const char *v = cfg_str(cfg, "curve_server_public");
    const char *f = cfg_str(cfg, "curve_server_public_file");
    out[0] = 0;
    if (*v && *f) {
        snprintf(err, cap, "MVOI_CURVE_SERVER_PUBLIC: set it or MVOI_CURVE_SERVER_PUBLIC_FILE, "
                 "not both");
        return -EINVAL;
    }
    if (*f)
        return s_read_public(f, out, err, cap);
    snprintf(out, 41, "%.40s", v);
    if (strlen(v) > 40) {
        snprintf(err, cap, "MVOI_CURVE_SERVER_PUBLIC: not a 40-character Z85 key");
        return -EINVAL;
    }
    return 0;
}

int mvoi_curve_from_cfg(cfg_t *cfg, bool need_registry, mvoi_curve_t *out,
                        mvoi_auth_t **auth_out, char *err, size_t cap)
{
    char spub[41];
    *auth_out = NULL;
    if (cfg_bool(cfg, "curve") && s_server_public(cfg, spub, err, cap) != 0)
        return -EINVAL;
    return s_build(cfg_bool(cfg, "curve"), cfg_str(cfg, "curve_server_key"), spub,
                   cfg_str(cfg, "curve_key"), cfg_str(cfg, "keys_file"), need_registry, out,
                   auth_out, err, cap);
}

int mvoi_curve_from_env(mvoi_curve_t *out, char *err, size_t cap)
{
    /* Shared keys only, so the variables are MVOI_CURVE, MVOI_CURVE_KEY_FILE, ... whatever
     * the program's name; the config module checks the *_FILE permissions. */
    cfg_t *cfg = cfg_new("client", mvoi_curve_specs, mvoi_curve_nspecs, NULL, err, cap);
    if (!cfg)
        return -EINVAL;
    mvoi_auth_t *auth = NULL;
    char spub[41] = "";
    int rc = cfg_bool(cfg, "curve") ? s_server_public(cfg, spub, err, cap) : 0;
    if (rc == 0)
        rc = s_build(cfg_bool(cfg, "curve"), cfg_str(cfg, "curve_server_key"), spub,
                     cfg_str(cfg, "curve_key"), "", false, out, &auth, err, cap);
    cfg_destroy(&cfg);
    return rc;
}

static bool s_local(const char *endpoint)
{
    return endpoint && strncmp(endpoint, "inproc://", 9) == 0;
}

static int s_setstr(void *z, int opt, const char *v)
{
    return zmq_setsockopt(z, opt, v, strlen(v)) == 0 ? 0 : -zmq_errno();
}

int mvoi_curve_server(void *zsock, const char *endpoint)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    if (!c || !c->on || s_local(endpoint))
        return 0;
    int type = 0;
    size_t sz = sizeof type;
    if (zmq_getsockopt(zsock, ZMQ_TYPE, &type, &sz) != 0)
        return -zmq_errno();
    if (type != ZMQ_ROUTER && type != ZMQ_PUB && type != ZMQ_XPUB)
        return 0;   /* the bus is ROUTER/PUB; PUSH/PULL is the benchmarks' raw baseline */
    if (!c->serves)
        return -EACCES;   /* binding without the server key: nobody could connect */
    int one = 1, rc;
    if (zmq_setsockopt(zsock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0)
        return -zmq_errno();
    if ((rc = s_setstr(zsock, ZMQ_CURVE_SECRETKEY, c->server_secret)) != 0)
        return rc;
    /* The domain tells the ZAP handler which stream is asked for (mvoi_zap.c). */
    return s_setstr(zsock, ZMQ_ZAP_DOMAIN, type == ZMQ_ROUTER ? "api" : "pub");
}

int mvoi_curve_client(void *zsock, const char *endpoint)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    if (!c || !c->on || s_local(endpoint))
        return 0;
    int type = 0, rc;
    size_t sz = sizeof type;
    if (zmq_getsockopt(zsock, ZMQ_TYPE, &type, &sz) != 0)
        return -zmq_errno();
    if (type != ZMQ_DEALER && type != ZMQ_SUB && type != ZMQ_XSUB && type != ZMQ_REQ)
        return 0;   /* not a client of the bus: monitors (PAIR), the raw baseline (PUSH) */
    if ((rc = s_setstr(zsock, ZMQ_CURVE_SERVERKEY, c->server_public)) != 0
        || (rc = s_setstr(zsock, ZMQ_CURVE_PUBLICKEY, c->public_)) != 0)
        return rc;
    return s_setstr(zsock, ZMQ_CURVE_SECRETKEY, c->secret);
}

int mvoi_curve_allow(const char *user, mvoi_act_t act, const char *buyer, text_lang_t lang,
                     char *why, size_t cap)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    if (!c || !c->on || !c->auth)
        return 0;
    const mvoi_key_t *k = user ? mvoi_auth_find_pub(c->auth, user) : NULL;
    int rc = mvoi_auth_allow(k, act, buyer, lang, why, cap);
    if (rc != 0 && user && !k)   /* admitted when it connected, removed since (a reload) */
        textfmt_tr(why, cap, lang, "auth.", "the key of this connection is no longer in the "
                   "key registry (revoked)");
    return rc;
}

static int s_write_all(int fd, const char *s)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t w = write(fd, s + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        off += (size_t)w;
    }
    return 0;
}

/* O_EXCL: an existing key is never replaced (the keys in use would silently change). */
static int s_create(const char *path, mode_t mode, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int rc = fchmod(fd, mode) == 0 ? s_write_all(fd, text) : -errno;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlink(path);
    return rc;
}

int mvoi_curve_generate(const char *dir, const char *name, char pub_out[41])
{
    char pub[41], sec[41], kpath[4096], ppath[4096], line[48];
    if (zmq_curve_keypair(pub, sec) != 0)
        return zmq_errno() == ENOTSUP ? -ENOTSUP : -EIO;
    int n1 = snprintf(kpath, sizeof kpath, "%s/%s.key", dir, name);
    int n2 = snprintf(ppath, sizeof ppath, "%s/%s.pub", dir, name);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof kpath || (size_t)n2 >= sizeof ppath)
        return -ENAMETOOLONG;
    if (access(ppath, F_OK) == 0)
        return -EEXIST;
    snprintf(line, sizeof line, "%s\n", sec);
    int rc = s_create(kpath, 0600, line);
    explicit_bzero(sec, sizeof sec);
    explicit_bzero(line, sizeof line);
    if (rc != 0)
        return rc;
    snprintf(line, sizeof line, "%s\n", pub);
    if ((rc = s_create(ppath, 0644, line)) != 0) {
        unlink(kpath);
        return rc;
    }
    memcpy(pub_out, pub, 41);
    return 0;
}
