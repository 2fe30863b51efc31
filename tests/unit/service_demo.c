/*  service_demo: the smallest real mvoi service, for test_service.
 *
 *  Binds its ROUTER on MVOI_DEMO_API and answers HealthRequest with
 *  HealthReply{live = true, ready = MVOI_DEMO_READY}. Everything else is service.c.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "service.h"

static const cfg_spec_t s_specs[] = {
    { "api", CFG_ENDPOINT, NULL, "ROUTER endpoint (commands, queries, health)" },
    { "workers", CFG_INT, "1", "number of pretend workers", 1, 16 },
    { "ready", CFG_BOOL, "true", "report ready in HealthReply" },
    { "token", CFG_SECRET, "", "pretend secret" },
    { "stop_delay_ms", CFG_INT, "0", "pretend the graceful stop takes this long", 0, 60000 },
};

static const service_def_t s_def = {
    .name = "demo",
    .summary = "A minimal mvoi service used by the tests.",
    .config = s_specs,
    .nconfig = (int) (sizeof s_specs / sizeof s_specs[0]),
};

typedef struct {
    service_t *svc;
    bus_sock_t *router;
    bool ready;
    uv_timer_t delay;
} demo_t;

static void s_on_api(bus_sock_t *sock, int events, void *arg)
{
    demo_t *d = arg;
    for (int budget = 0; budget < 100; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) != 0)
            return;
        if (m.nparts == 2) {
            int err = 0;
            Mvoi__Envelope *req = codec_unpack(bus_msg_data(&m, 1), bus_msg_size(&m, 1),
                                               CODEC_DEFAULT_BUDGET, &err);
            if (req && req->body_case == MVOI__ENVELOPE__BODY_HEALTH) {
                Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
                Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
                h.service = "demo";
                h.version = MVOI_VERSION;
                h.has_live = h.has_ready = 1;
                h.live = 1;
                h.ready = d->ready;
                rep.request_id = req->request_id;
                rep.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
                rep.health_reply = &h;
                uint8_t *buf = NULL;
                size_t len = 0;
                if (codec_pack(&rep, &buf, &len) == 0) {
                    bus_frame_t f[2] = { { bus_msg_data(&m, 0), bus_msg_size(&m, 0) },
                                         { buf, len } };
                    bus_send(sock, f, 2);
                    free(buf);
                }
            }
            codec_free(&req);
        }
        bus_msg_close(&m);
    }
}

static void s_close_api(demo_t *d)
{
    log_info("api_closed", "closing the api socket");
    bus_sock_destroy(&d->router);
}

static void s_on_delay(uv_timer_t *t)
{
    s_close_api(t->data);
    uv_close((uv_handle_t *) t, NULL);
}

static void s_on_stop(void *arg)
{
    demo_t *d = arg;
    int64_t delay = cfg_int(service_cfg(d->svc), "stop_delay_ms");
    if (delay <= 0) {
        s_close_api(d);
        return;
    }
    uv_timer_init(service_loop(d->svc), &d->delay);
    d->delay.data = d;
    uv_timer_start(&d->delay, s_on_delay, (uint64_t) delay, 0);
}

int main(int argc, char **argv)
{
    service_t *svc;
    int rc = service_init(&svc, &s_def, argc, argv);
    if (rc >= 0)
        return rc;
    demo_t d = { .svc = svc, .ready = cfg_bool(service_cfg(svc), "ready") };
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    d.router = bus_sock_new(service_bus(svc), service_loop(svc), ZMQ_ROUTER, &o);
    const char *api = cfg_str(service_cfg(svc), "api");
    if (!d.router || bus_bind(d.router, api) != 0) {
        log_error("bind_failed", "cannot bind %s", api);
        bus_sock_destroy(&d.router);
        service_destroy(&svc);
        return 1;
    }
    bus_watch(d.router, ZMQ_POLLIN, s_on_api, &d);
    service_on_stop(svc, s_on_stop, &d);
    log_info("listening", "api on %s", api);
    rc = service_run(svc);
    bus_sock_destroy(&d.router);
    service_destroy(&svc);
    return rc;
}
