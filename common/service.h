/*  service: what every mvoi binary does around its own logic.
 *
 *  Command line (--help, --version, --print-config, --healthcheck[=live|ready],
 *  --config FILE), configuration (config.h) with the shared keys log_format, log_level and
 *  data_dir, JSON logs, one libuv loop and one zmq context, SIGTERM/SIGINT handling:
 *  the first signal calls the stop callbacks (stop taking work, finish the transaction in
 *  flight, close sockets with a bounded linger) and the loop then ends by itself; a second
 *  signal exits at once with 1. Under systemd (Type=notify) service_run reports READY=1,
 *  STOPPING=1 on stop, and WATCHDOG=1 at half of WatchdogSec=.
 *
 *  main.c stays thin:
 *      service_t *svc; int rc = service_init(&svc, &def, argc, argv);
 *      if (rc >= 0) return rc;                 // --help, --version, bad config (78)...
 *      ... build the service object on service_loop(svc) / service_bus(svc) ...
 *      rc = service_run(svc); ... destroy ...; service_destroy(&svc); return rc;
 */
#ifndef MVOI_SERVICE_H
#define MVOI_SERVICE_H

#include <sysexits.h>
#include <uv.h>
#include "bus.h"
#include "buyers.h"
#include "config.h"

#define SERVICE_EX_CONFIG EX_CONFIG   /* bad configuration (78) */

typedef struct {
    const char *name;             /* "calendar": binary mvoi-calendar, env MVOI_CALENDAR_* */
    const char *summary;          /* one line for --help */
    const cfg_spec_t *config;     /* the service's own keys; must include "api" (endpoint
                                     of its ROUTER) for --healthcheck */
    int nconfig;
    /* --healthcheck for a service whose health is not asked over its ROUTER (the
     * gateway asks its own HTTP /readyz): 0 healthy. NULL = HealthRequest to "api". */
    int (*healthcheck)(cfg_t *cfg, bool want_ready);
} service_def_t;

typedef struct service_t service_t;

/* Returns -1 when the service should run (then *out is set), otherwise the exit code of
 * a one-shot mode (0 after --help/--version/--print-config, 0/1 for --healthcheck,
 * EX_USAGE (64) for a usage error, EX_CONFIG (78) for bad configuration, EX_SOFTWARE (70)
 * when the process itself cannot be set up). */
int service_init(service_t **out, const service_def_t *def, int argc, char **argv);
void service_destroy(service_t **self_p);

uv_loop_t *service_loop(service_t *self);
bus_ctx_t *service_bus(service_t *self);
cfg_t *service_cfg(service_t *self);
const char *service_name(service_t *self);
/* Where this service keeps its own state (LMDB): "<data_dir>/<name>"; not created here. */
const char *service_data_dir(service_t *self);
/* The buyer registry (MVOI_BUYERS_FILE, MVOI_BUYERS_OPEN), loaded at service_init: a bad
 * file stops the service with exit 78. Give it to server_opts_t.buyers. */
const mvoi_buyers_t *service_buyers(service_t *self);

typedef void (service_stop_fn)(void *arg);
/* Register a callback for graceful stop (called once, in registration order reversed). */
int service_on_stop(service_t *self, service_stop_fn *fn, void *arg);
/* Register a callback for SIGHUP (`kill -HUP`, `systemctl reload`), called in registration
 * order after the key registry (MVOI_KEYS_FILE) was read again; a file that does not load
 * must keep what is in force and log why. */
int service_on_reload(service_t *self, service_stop_fn *fn, void *arg);
/* Ask for a graceful stop from code (same path as SIGTERM). */
void service_stop(service_t *self);
bool service_stopping(service_t *self);

/* Runs the loop until every handle is closed. Returns 0 after a graceful stop. */
int service_run(service_t *self);

/* Send HealthRequest to endpoint and wait up to timeout_ms; 0 if a HealthReply came back
 * with live (and ready, when want_ready) set, 1 otherwise. Used by --healthcheck. */
int service_healthcheck(const char *endpoint, bool want_ready, int timeout_ms);

#endif
