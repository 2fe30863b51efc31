/*  impact service: a submit's calculations before its batch (server_prep_fn, server.h).
 *
 *  The calculation of a measurement needs the factor tables and the measurement, no store:
 *  the server runs this on a worker for a large turn while the loop commits the turn before
 *  (docs/design.md#decode-stage), and the handler (service_submit.c) only stores what it
 *  finds here. The results live in request memory; a batch that runs again (the map grew)
 *  finds them unchanged. Nothing here touches the service object beyond its factor tables
 *  and options, which nothing changes after start.
 */
#include "service_int.h"

#include <string.h>

#include "calc.h"

bool impact_svc_submitted(const Mvoi__Measurement *in, const char *buyer,
                          Mvoi__Measurement *out)
{
    if (in->buyer && *in->buyer && strcmp(in->buyer, buyer) != 0)
        return false;
    *out = *in;
    out->buyer = (char *)buyer;
    out->has_revision = 0;
    out->revision = 0;
    return true;
}

/* One measurement: its impact packed, or the error a handler would have answered. */
static void s_one(impact_svc_t *self, server_req_t *req, const Mvoi__Measurement *in,
                  const char *buyer, impact_svc_prep_t *p)
{
    Mvoi__Measurement m;
    if (!impact_svc_submitted(in, buyer, &m))
        return;   /* refused by the handler before any calculation */
    impact_error_t err;
    Mvoi__Impact *imp = NULL;
    if (calc_impact(self->factors, &m, &imp, &err) < 0) {
        impact_error_t *e = server_prep_alloc(req, sizeof *e);
        if (e) {
            *e = err;
            p->err = e;
        }
        return;
    }
    size_t il = impact_svc_impact_size(imp);
    uint8_t *b = server_prep_alloc(req, il ? il : 1);
    if (b) {
        impact_svc_impact_pack(imp, b);
        p->impact = (codec_slice_t){ b, il };
        p->ok = true;
    }
    calc_impact_free(&imp);
}

void impact_svc_prep_submit(void *arg, server_req_t *req)
{
    impact_svc_t *self = arg;
    const Mvoi__SubmitMeasurements *sm = server_request(req)->submit_measurements;
    const char *buyer = impact_svc_buyer(req);
    if (!sm || !buyer || sm->n_measurements == 0 ||
        sm->n_measurements > self->opts.max_batch || (sm->has_what_if && sm->what_if))
        return;   /* refused whole, or computed without storing: the handler's */
    impact_svc_prep_t *p = server_prep_alloc(req, sm->n_measurements * sizeof *p);
    if (!p)
        return;
    for (size_t i = 0; i < sm->n_measurements; i++)
        s_one(self, req, sm->measurements[i], buyer, &p[i]);
    server_prep_set(req, p);
}
