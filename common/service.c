/*  service: what every mvoi binary does around its own logic. */
#include "service.h"
#include "buyers.h"
#include "mvoi_curve.h"
#include "mvoi_zap.h"
#include "codec.h"
#include "log.h"
#include "store_guard.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#ifndef MVOI_VERSION
#define MVOI_VERSION "0"
#endif

#define SERVICE_HEALTHCHECK_TIMEOUT_MS 2000

static void s_service_on_signal(uv_signal_t *h, int signum);

typedef struct {
    service_stop_fn *fn;
    void *arg;
} stop_cb_t;

struct service_t {
    char *name;
    cfg_spec_t *specs;          /* the service's keys + the shared ones service adds */
    int nspecs;
    cfg_t *cfg;
    char *data_dir;             /* <data_dir>/<name> */
    mvoi_buyers_t *buyers;      /* the buyer registry (buyers_file, buyers_open) */
    mvoi_auth_t *auth;          /* the key registry (keys_file), CURVE on */
    mvoi_zap_t *zap;            /* the ZAP handler, where this process binds with CURVE */
    uv_loop_t loop;
    bool loop_ok;
    bus_ctx_t *bus;
    uv_signal_t sig[3];         /* SIGTERM, SIGINT: stop; SIGHUP: reload (s_reload) */
    bool signals_open;
    bool stopping;
    stop_cb_t *stops;
    int nstops;
    stop_cb_t *reloads;         /* service_on_reload */
    int nreloads;
    uv_timer_t watchdog;        /* systemd WatchdogSec=: WATCHDOG=1 at half the interval */
    bool watchdog_on;
    const service_def_t *def;
};

/* systemd's readiness protocol without libsystemd: one datagram to $NOTIFY_SOCKET
 * (sd_notify(3)). A no-op outside systemd, so one binary serves containers and units. */
static void s_sd_notify(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || (path[0] != '/' && path[0] != '@'))
        return;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, path, n);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = 0;   /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
        log_debug("sd_notify_failed", "sd_notify %s: %s", msg, strerror(errno));
    close(fd);
}

static void s_on_watchdog(uv_timer_t *t)
{
    (void)t;
    s_sd_notify("WATCHDOG=1");
}

static const cfg_spec_t s_shared_specs[] = {
    { "log_format", CFG_STRING, "json", "log format: json (one object per line) or text",
      0, 0, true },
    { "log_level", CFG_STRING, "info", "lowest level logged: debug, info, warn or error",
      0, 0, true },
    { "data_dir", CFG_PATH, "/var/lib/mvoi", "state directory; this service uses <data_dir>/<name>",
      0, 0, true },
    { "init", CFG_BOOL, "false", "create a new, empty store where <data_dir>/<name> held one "
      "whose data.mdb is missing or empty (without it such a start is refused)", 0, 0, true },
    { "buyers_file", CFG_PATH, MVOI_BUYERS_FILE_SRC,
      "buyer registry (INI: [id] name, organizer, domain, oin, kvk); requests for other "
      "buyers are refused", 0, 0, true },
    { "buyers_open", CFG_BOOL, "false",
      "accept every valid buyer id, registered or not (tests and demos)", 0, 0, true },
};
#define NSHARED ((int) (sizeof s_shared_specs / sizeof s_shared_specs[0]))

/* The service's own keys first, then the shared keys it did not declare itself. */
static cfg_spec_t *s_merge_specs(const service_def_t *def, int *n)
{
    cfg_spec_t *all = calloc((size_t) def->nconfig + NSHARED + (size_t) mvoi_curve_nspecs + 1,
                             sizeof *all);
    if (!all)
        return NULL;
    int k = 0;
    for (int i = 0; i < def->nconfig; i++)
        all[k++] = def->config[i];
    for (int j = 0; j < NSHARED; j++) {
        bool dup = false;
        for (int i = 0; i < def->nconfig; i++)
            if (def->config[i].key && strcmp(def->config[i].key, s_shared_specs[j].key) == 0)
                dup = true;
        if (!dup)
            all[k++] = s_shared_specs[j];
    }
    for (int j = 0; j < mvoi_curve_nspecs; j++)   /* CURVE keys (mvoi_curve.h) */
        all[k++] = mvoi_curve_specs[j];
    *n = k;
    return all;
}

extern char **environ;

static void s_warn_unknown(void *arg, const char *name, const char *closest)
{
    (void)arg;
    const char *kv[] = { "variable", name, "closest", closest ? closest : "", NULL };
    if (closest)
        log_emit(LOG_WARN, "config_unknown_variable", kv, "%s is not a variable of this "
                 "service and is ignored; did you mean %s?", name, closest);
    else
        log_emit(LOG_WARN, "config_unknown_variable", kv, "%s is not a variable of this "
                 "service and is ignored", name);
}

static void s_usage(const service_def_t *def, const cfg_spec_t *specs, int n, FILE *out)
{
    fprintf(out,
            "Usage: mvoi-%s [OPTION]...\n"
            "%s\n\n"
            "Options:\n"
            "  -c, --config FILE           INI file (also MVOI_CONFIG)\n"
            "      --print-config          print the effective configuration and exit\n"
            "      --healthcheck[=MODE]    ask the running service (its api endpoint) whether\n"
            "                              it is live or ready (MODE, default ready); exit 0/1\n"
            "      --init                  create a new, empty store where a data.mdb is\n"
            "                              missing or empty (also MVOI_INIT=true)\n"
            "  -h, --help                  show this help and exit\n"
            "  -V, --version               show the version and exit\n\n",
            def->name, def->summary ? def->summary : "");
    cfg_print_help(def->name, specs, n, out);
    fprintf(out, "\nExit status: 0 ok, 1 failure, 64 usage error, 78 bad configuration.\n");
}

static void s_service_free(service_t *self)
{
    mvoi_curve_set(NULL);
    mvoi_auth_destroy(&self->auth);
    mvoi_buyers_destroy(&self->buyers);
    cfg_destroy(&self->cfg);
    free(self->specs);
    free(self->name);
    free(self->data_dir);
    free(self->stops);
    free(self->reloads);
    free(self);
}

/* A bind endpoint is not connectable: a wildcard host becomes the loopback address. */
static void s_connectable(const char *ep, char *buf, size_t len)
{
    if (strncmp(ep, "tcp://*:", 8) == 0)
        snprintf(buf, len, "tcp://127.0.0.1:%s", ep + 8);
    else if (strncmp(ep, "tcp://0.0.0.0:", 14) == 0)
        snprintf(buf, len, "tcp://127.0.0.1:%s", ep + 14);
    else if (strncmp(ep, "tcp://[::]:", 11) == 0)
        snprintf(buf, len, "tcp://[::1]:%s", ep + 11);
    else
        snprintf(buf, len, "%s", ep);
}

/* Keep freed heap in the process. Each LMDB write transaction mallocs a 4 KiB page per
 * dirty page and frees them at the commit; ZeroMQ allocates every large message on its
 * own. With glibc's defaults the heap top goes back to the kernel after a big commit and
 * large blocks are mmap'ed and unmapped per message, so the next transaction page-faults
 * it all in again (measured on the calendar's import: 10-30 % of its time). The price: up
 * to the trim threshold of freed memory stays resident after a peak. */
static void s_malloc_tuning(void)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

/* CURVE for every socket of the process (mvoi_curve.h), or the loud warning of its absence. */
static int s_curve_init(service_t *self)
{
    mvoi_curve_t c;
    char err[512];
    if (mvoi_curve_from_cfg(self->cfg, true, &c, &self->auth, err, sizeof err) != 0) {
        size_t klen = strcspn(err, ":");
        char key[96];
        snprintf(key, sizeof key, "%.*s", (int) (klen < sizeof key ? klen : sizeof key - 1), err);
        const char *kv[] = { "key", key, NULL };
        log_emit(LOG_ERROR, "config_invalid", kv, "%s", err);
        fprintf(stderr, "mvoi-%s: %s\n", self->name, err);
        return -1;
    }
    if (!c.on)
        log_warn("curve_off", "MVOI_CURVE=off: the ZeroMQ sockets are NOT encrypted and NOT "
                 "authenticated; whoever reaches a port can read and change every buyer's "
                 "data. For benchmarks and isolated tests only.");
    mvoi_curve_set(&c);
    explicit_bzero(&c, sizeof c);
    return 0;
}

static void s_zap_stop(void *arg)
{
    mvoi_zap_destroy(&((service_t *) arg)->zap);
}

/* The ZAP handler, bound before any CURVE socket of the process (libzmq asks it then). */
static int s_zap_start(service_t *self)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    if (!c || !c->on || !c->serves)
        return 0;
    int e = 0;
    if (!(self->zap = mvoi_zap_new(self->bus, &self->loop, self->auth, &e))) {
        log_error("service_init_failed", "cannot start the ZAP handler: %s", strerror(-e));
        return -1;
    }
    const char *kv[] = { "keys", "", NULL };
    char n[24];
    snprintf(n, sizeof n, "%zu", mvoi_auth_count(self->auth));
    kv[1] = n;
    log_emit(LOG_INFO, "curve_on", kv, "CURVE on every socket; %s client keys admitted", n);
    return service_on_stop(self, s_zap_stop, self);
}

/* What the command line asks for. */
typedef struct {
    bool help, init, print_config, healthcheck, want_ready;
    const char *config_path;
} s_args_t;

/* Parse the command line into a. -1 to go on, or the exit status (--version, usage). */
static int s_args(const service_def_t *def, int argc, char **argv, s_args_t *a)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "config", required_argument, NULL, 'c' },
        { "print-config", no_argument, NULL, 'P' },
        { "healthcheck", optional_argument, NULL, 'H' },
        { "init", no_argument, NULL, 'I' },
        { NULL, 0, NULL, 0 },
    };
    *a = (s_args_t){ .want_ready = true, .config_path = getenv("MVOI_CONFIG") };
    if (a->config_path && !*a->config_path)
        a->config_path = NULL;
    optind = 0;            /* glibc: full re-initialisation, service_init may run twice */
    opterr = 0;
    int c;
    while (argv && (c = getopt_long(argc, argv, ":hVc:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': a->help = true; break;
        case 'V':
            printf("mvoi-%s %s\n", def->name, MVOI_VERSION);
            return 0;
        case 'c': a->config_path = optarg; break;
        case 'P': a->print_config = true; break;
        case 'I': a->init = true; break;
        case 'H':
            a->healthcheck = true;
            if (optarg && strcmp(optarg, "live") == 0)
                a->want_ready = false;
            else if (optarg && strcmp(optarg, "ready") != 0) {
                fprintf(stderr, "mvoi-%s: --healthcheck takes live or ready, got '%s'\n",
                        def->name, optarg);
                return EX_USAGE;
            }
            break;
        case ':':
            fprintf(stderr, "mvoi-%s: option '%s' needs an argument\n"
                            "Try 'mvoi-%s --help'.\n", def->name, argv[optind - 1], def->name);
            return EX_USAGE;
        default:
            if (optopt && optopt != '?')
                fprintf(stderr, "mvoi-%s: unknown option '-%c'\n", def->name, optopt);
            else
                fprintf(stderr, "mvoi-%s: unknown or malformed option '%s'\n", def->name,
                        argv[optind - 1]);
            fprintf(stderr, "Try 'mvoi-%s --help'.\n", def->name);
            return EX_USAGE;
        }
    }
    if (argv && optind < argc) {
        fprintf(stderr, "mvoi-%s: unexpected argument '%s'\nTry 'mvoi-%s --help'.\n",
                def->name, argv[optind], def->name);
        return EX_USAGE;
    }
    return -1;
}

/* Load and check the configuration, then log as it says. -1 to go on, or the exit status
 * (self is then freed). */
static int s_configure(service_t *self, const service_def_t *def, const s_args_t *a)
{
    /* Until the configuration is known, log JSON at info (or what the env asks for). */
    const char *env_fmt = getenv("MVOI_LOG_FORMAT");
    log_init(def->name, env_fmt && strcmp(env_fmt, "text") == 0 ? "text" : "json", "info");

    char err[768];
    self->cfg = cfg_new(def->name, self->specs, self->nspecs, a->config_path, err, sizeof err);
    log_level_t level = LOG_INFO;
    const char *fmt = self->cfg ? cfg_str(self->cfg, "log_format") : NULL;
    if (self->cfg && strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0) {
        snprintf(err, sizeof err, "MVOI_LOG_FORMAT: must be json or text, got '%.64s'", fmt);
        cfg_destroy(&self->cfg);
    }
    if (self->cfg && log_level_parse(cfg_str(self->cfg, "log_level"), &level) != 0) {
        snprintf(err, sizeof err,
                 "MVOI_LOG_LEVEL: must be debug, info, warn or error, got '%.64s'",
                 cfg_str(self->cfg, "log_level"));
        cfg_destroy(&self->cfg);
    }
    if (!self->cfg) {
        char key[128];
        size_t klen = strcspn(err, ":");
        snprintf(key, sizeof key, "%.*s", (int) (klen < sizeof key ? klen : sizeof key - 1), err);
        const char *kv[] = { "key", key, NULL };
        log_emit(LOG_ERROR, "config_invalid", kv, "%s", err);
        fprintf(stderr, "mvoi-%s: %s\n", def->name, err);
        s_service_free(self);
        return SERVICE_EX_CONFIG;
    }
    log_init(def->name, fmt, cfg_str(self->cfg, "log_level"));
    store_guard_set_init(a->init || cfg_bool(self->cfg, "init"));
    if (!a->help && !a->print_config && !a->healthcheck)
        cfg_check_env(def->name, self->specs, self->nspecs, environ, s_warn_unknown, NULL);
    return -1;
}

/* --healthcheck: the service's own check, else ask its API. The exit status. */
static int s_run_healthcheck(service_t *self, const service_def_t *def, bool want_ready)
{
    const char *api = cfg_str(self->cfg, "api");
    int rc = 1;
    if (def->healthcheck)
        rc = def->healthcheck(self->cfg, want_ready) == 0 ? 0 : 1;
    else if (!api)
        fprintf(stderr, "mvoi-%s: --healthcheck needs an 'api' key in the service's config\n",
                def->name);
    else {
        char ep[512];
        s_connectable(api, ep, sizeof ep);
        rc = service_healthcheck(ep, want_ready, SERVICE_HEALTHCHECK_TIMEOUT_MS);
    }
    return rc;
}

/* Buyers, data directory, loop, bus and signals. -1 when running, or the exit status
 * (self is then freed). */
static int s_runtime(service_t *self, const service_def_t *def)
{
    char berr[512];
    if (!(self->buyers = mvoi_buyers_from_cfg(self->cfg, berr, sizeof berr))) {
        log_error("bad_config", "MVOI_BUYERS_FILE: %s", berr);
        s_service_free(self);
        return SERVICE_EX_CONFIG;
    }
    size_t dlen = strlen(cfg_str(self->cfg, "data_dir")) + strlen(def->name) + 2;
    self->data_dir = malloc(dlen);
    if (!self->data_dir || uv_loop_init(&self->loop) != 0) {
        log_error("service_init_failed", "cannot create the event loop");
        s_service_free(self);
        return EX_SOFTWARE;
    }
    snprintf(self->data_dir, dlen, "%s/%s", cfg_str(self->cfg, "data_dir"), def->name);
    self->loop_ok = true;
    self->bus = bus_ctx_new();
    if (!self->bus) {
        log_error("service_init_failed", "cannot create the zmq context: %s", zmq_strerror(errno));
        uv_loop_close(&self->loop);
        s_service_free(self);
        return EX_SOFTWARE;
    }
    if (s_zap_start(self) != 0) {
        s_service_free(self);   /* the loop and context are released by the process exit */
        return EX_SOFTWARE;
    }
    signal(SIGPIPE, SIG_IGN);
    static const int signums[3] = { SIGTERM, SIGINT, SIGHUP };
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&self->loop, &self->sig[i]);
        self->sig[i].data = self;
        uv_signal_start(&self->sig[i], s_service_on_signal, signums[i]);
    }
    self->signals_open = true;
    return -1;
}

int service_init(service_t **out, const service_def_t *def, int argc, char **argv)
{
    s_malloc_tuning();
    if (out)
        *out = NULL;
    if (!out || !def || !def->name) {
        fprintf(stderr, "service_init: invalid arguments\n");
        return EX_SOFTWARE;
    }
    s_args_t a;
    int ex = s_args(def, argc, argv, &a);
    if (ex >= 0)
        return ex;
    service_t *self = calloc(1, sizeof *self);
    if (!self || !(self->name = strdup(def->name))
        || !(self->specs = s_merge_specs(def, &self->nspecs))) {
        fprintf(stderr, "mvoi-%s: out of memory\n", def->name);
        if (self)
            s_service_free(self);
        return EX_SOFTWARE;
    }
    if (a.help) {
        s_usage(def, self->specs, self->nspecs, stdout);
        s_service_free(self);
        return 0;
    }
    if ((ex = s_configure(self, def, &a)) >= 0)
        return ex;
    if (a.print_config) {
        cfg_print(self->cfg, stdout);
        s_service_free(self);
        return 0;
    }
    if (s_curve_init(self) != 0) {   /* the healthcheck is a client of the bus too */
        s_service_free(self);
        return SERVICE_EX_CONFIG;
    }
    if (a.healthcheck) {
        ex = s_run_healthcheck(self, def, a.want_ready);
        s_service_free(self);
        return ex;
    }
    if ((ex = s_runtime(self, def)) >= 0)
        return ex;
    const char *kv[] = { "version", MVOI_VERSION, "data_dir", self->data_dir, NULL };
    log_emit(LOG_INFO, "starting", kv, "mvoi-%s starting", def->name);
    *out = self;
    return -1;
}

/* After the first signal the uv handles are closed (so the loop can end); a second
 * SIGTERM/SIGINT lands here, even while a stop callback is still busy. */
static void s_hard_exit(int signum)
{
    static const char msg[] = "second signal: exiting at once\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void) w;
    _exit(1);
}

static void s_close_signals(service_t *self)
{
    if (!self->signals_open)
        return;
    self->signals_open = false;
    for (int i = 0; i < 3; i++)
        if (!uv_is_closing((uv_handle_t *) &self->sig[i]))
            uv_close((uv_handle_t *) &self->sig[i], NULL);
    signal(SIGHUP, SIG_IGN);   /* a reload while stopping: nothing to reload, no death */
    /* uv_close stopped libuv's handlers (back to SIG_DFL); install the hard exit. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_hard_exit;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void s_stop(service_t *self, const char *why)
{
    if (self->stopping)
        return;
    self->stopping = true;
    s_sd_notify("STOPPING=1");
    if (self->watchdog_on && !uv_is_closing((uv_handle_t *)&self->watchdog)) {
        uv_timer_stop(&self->watchdog);
        uv_close((uv_handle_t *)&self->watchdog, NULL);
    }
    const char *kv[] = { "reason", why, NULL };
    log_emit(LOG_INFO, "stopping", kv, "stopping (%s)", why);
    s_close_signals(self);
    /* Callbacks may register nothing new; walk the list as it is now, newest first. */
    for (int i = self->nstops - 1; i >= 0; i--)
        self->stops[i].fn(self->stops[i].arg);
}

/* SIGHUP: the key registry (MVOI_KEYS_FILE) again, then what the service registered
 * (service_on_reload). A registry that does not load keeps the one in force. */
static void s_reload(service_t *self)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    const char *path = cfg_str(self->cfg, "keys_file");
    if (c && c->on && self->auth && *path) {
        char why[320];
        mvoi_auth_t *a = mvoi_auth_load(path, why, sizeof why);
        char n[24];
        snprintf(n, sizeof n, "%zu", mvoi_auth_count(a ? a : self->auth));
        const char *kv[] = { "file", path, "keys", n, a ? NULL : "reason", why, NULL };
        if (!a) {
            log_emit(LOG_ERROR, "keys_reload_failed", kv,
                     "MVOI_KEYS_FILE: %s; the %s keys loaded before stay in force", why, n);
        } else {
            mvoi_curve_set_auth(a);
            mvoi_zap_set_auth(self->zap, a);
            mvoi_auth_destroy(&self->auth);
            self->auth = a;
            log_emit(LOG_INFO, "keys_reloaded", kv, "key registry reloaded: %s client keys "
                     "admitted", n);
        }
    }
    for (int i = 0; i < self->nreloads; i++)
        self->reloads[i].fn(self->reloads[i].arg);
}

int service_on_reload(service_t *self, service_stop_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    stop_cb_t *n = realloc(self->reloads, ((size_t) self->nreloads + 1) * sizeof *n);
    if (!n)
        return -ENOMEM;
    self->reloads = n;
    self->reloads[self->nreloads++] = (stop_cb_t) { fn, arg };
    return 0;
}

static void s_service_on_signal(uv_signal_t *h, int signum)
{
    service_t *self = h->data;
    if (signum == SIGHUP) {
        if (!self->stopping)
            s_reload(self);
        return;
    }
    if (self->stopping) {
        log_warn("stop_forced", "second signal %d: exiting at once", signum);
        fflush(stdout);
        _exit(1);
    }
    s_stop(self, signum == SIGTERM ? "SIGTERM" : signum == SIGINT ? "SIGINT" : "signal");
}

void service_stop(service_t *self)
{
    if (self)
        s_stop(self, "requested");
}

bool service_stopping(service_t *self)
{
    return self && self->stopping;
}

int service_on_stop(service_t *self, service_stop_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    stop_cb_t *n = realloc(self->stops, ((size_t) self->nstops + 1) * sizeof *n);
    if (!n)
        return -ENOMEM;
    self->stops = n;
    self->stops[self->nstops++] = (stop_cb_t) { fn, arg };
    return 0;
}

static void s_close_walk(uv_handle_t *h, void *arg)
{
    int *count = arg;
    if (uv_is_closing(h))
        return;
    log_debug("handle_leftover", "closing a leftover %s handle", uv_handle_type_name(h->type));
    uv_close(h, NULL);
    (*count)++;
}

/* Close whatever is still open and let the close callbacks run. */
static void s_drain_loop(service_t *self)
{
    int n = 0;
    uv_walk(&self->loop, s_close_walk, &n);
    uv_run(&self->loop, UV_RUN_DEFAULT);
}

int service_run(service_t *self)
{
    if (!self || !self->loop_ok)
        return EX_SOFTWARE;
    /* The service built its store, sockets and feeds before calling us: it is up. */
    const char *wd = getenv("WATCHDOG_USEC");
    long long usec = wd ? atoll(wd) : 0;
    if (usec > 0 && uv_timer_init(&self->loop, &self->watchdog) == 0) {
        self->watchdog_on = true;
        uint64_t ms = (uint64_t)(usec / 2000) ? (uint64_t)(usec / 2000) : 1;
        uv_timer_start(&self->watchdog, s_on_watchdog, ms, ms);
    }
    s_sd_notify("READY=1");
    uv_run(&self->loop, UV_RUN_DEFAULT);
    s_close_signals(self);
    s_drain_loop(self);
    if (!self->stopping) {
        log_warn("loop_ended", "the loop ended without a stop request");
        return 1;
    }
    log_info("stopped", "stopped");
    return 0;
}

void service_destroy(service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    service_t *self = *self_p;
    if (self->loop_ok) {
        s_close_signals(self);
        mvoi_zap_destroy(&self->zap);
        s_drain_loop(self);
        bus_ctx_destroy(&self->bus);
        if (uv_loop_close(&self->loop) != 0)
            log_warn("loop_busy", "the loop still had handles at destroy");
    }
    fflush(stdout);
    s_service_free(self);
    *self_p = NULL;
}

uv_loop_t *service_loop(service_t *self) { return self ? &self->loop : NULL; }
bus_ctx_t *service_bus(service_t *self) { return self ? self->bus : NULL; }
cfg_t *service_cfg(service_t *self) { return self ? self->cfg : NULL; }
const char *service_name(service_t *self) { return self ? self->name : NULL; }
const char *service_data_dir(service_t *self) { return self ? self->data_dir : NULL; }
const mvoi_buyers_t *service_buyers(service_t *self) { return self ? self->buyers : NULL; }

int service_healthcheck(const char *endpoint, bool want_ready, int timeout_ms)
{
    if (!endpoint)
        return 1;
    int rc = 1;
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    uint8_t *buf = NULL;
    if (!sock) {
        fprintf(stderr, "healthcheck: cannot create a zmq socket: %s\n", zmq_strerror(errno));
        goto done;
    }
    int linger = 0;
    int64_t maxmsg = CODEC_MAX_BYTES;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (mvoi_curve_client(sock, endpoint) != 0 || zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "healthcheck: cannot connect to %s: %s\n", endpoint, zmq_strerror(errno));
        goto done;
    }
    char rid[48];
    snprintf(rid, sizeof rid, "hc-%ld", (long) getpid());
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__HealthRequest req = MVOI__HEALTH_REQUEST__INIT;
    env.has_schema_version = 1;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = "healthcheck";
    env.request_id = rid;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    env.health = &req;
    size_t len = 0;
    if (codec_pack(&env, &buf, &len) != 0) {
        fprintf(stderr, "healthcheck: cannot encode the request\n");
        goto done;
    }
    if (zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0) {
        fprintf(stderr, "healthcheck: cannot send to %s: %s\n", endpoint, zmq_strerror(errno));
        goto done;
    }
    int64_t deadline = uv_hrtime() / 1000000 + timeout_ms;
    for (;;) {
        int64_t left = deadline - (int64_t) (uv_hrtime() / 1000000);
        if (left <= 0) {
            fprintf(stderr, "healthcheck: no reply from %s within %d ms\n", endpoint, timeout_ms);
            goto done;
        }
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        int n = zmq_poll(&item, 1, (long) left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        /* Skip an empty delimiter frame if the server sends one; use the last frame. */
        while (zmq_msg_more(&msg)) {
            zmq_msg_close(&msg);
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sock, 0) < 0)
                break;
        }
        int err = 0;
        Mvoi__Envelope *reply = codec_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg),
                                             CODEC_DEFAULT_BUDGET, &err);
        zmq_msg_close(&msg);
        if (!reply)
            continue;
        if (reply->request_id && strcmp(reply->request_id, rid) != 0) {
            codec_free(&reply);     /* a stale reply to someone else */
            continue;
        }
        if (reply->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY && reply->health_reply) {
            Mvoi__HealthReply *h = reply->health_reply;
            bool live = h->has_live && h->live;
            bool ready = h->has_ready && h->ready;
            rc = live && (!want_ready || ready) ? 0 : 1;
            if (rc != 0)
                fprintf(stderr, "healthcheck: %s is not %s (live=%s ready=%s)\n", endpoint,
                        want_ready ? "ready" : "live", live ? "true" : "false",
                        ready ? "true" : "false");
        }
        else
            fprintf(stderr, "healthcheck: unexpected reply '%s' from %s\n",
                    codec_body_name(reply->body_case), endpoint);
        codec_free(&reply);
        goto done;
    }
done:
    free(buf);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    return rc;
}
