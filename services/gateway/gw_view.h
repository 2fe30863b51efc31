/*  gw_view: the gateway's copy of the kpi-aggregator's totals (zguide Clone, client side).
 *
 *  A map from total key (the topic, "kpi.heerlen.co2.2026") to its latest absolute value,
 *  kept as the JSON the gateway serves, with the aggregator seq of its last change. Updates
 *  are last-write-wins by seq: an update at or below the stored seq is dropped, so a
 *  snapshot and the live stream can overlap without double application.
 *
 *  head  = highest seq the view is complete up to (snapshot seq, then each update).
 *  base  = seq of the snapshot the view was last rebuilt from: a client's Last-Event-ID in
 *          [base, head] can be served as "totals with seq > id"; anything else gets a full
 *          snapshot.
 *  No protobuf here: the caller renders each total's JSON once.
 */
#ifndef MVOI_GW_VIEW_H
#define MVOI_GW_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gw_buf.h"

typedef struct gw_view_t gw_view_t;

typedef struct {
    char *key;
    char *buyer;
    uint64_t seq;
    char *json;        /* one KpiTotal as a JSON object, compact, includes "seq" */
    size_t json_len;
} gw_total_t;

gw_view_t *gw_view_new(void);
void gw_view_destroy(gw_view_t **self_p);

/* Insert or replace; copies the strings. 1 applied, 0 dropped (seq <= stored), -ENOMEM. */
int gw_view_put(gw_view_t *self, const char *key, const char *buyer, uint64_t seq,
                const char *json, size_t json_len);
const gw_total_t *gw_view_get(gw_view_t *self, const char *key);
size_t gw_view_count(gw_view_t *self);
const gw_total_t *gw_view_at(gw_view_t *self, size_t i);   /* insertion order */

uint64_t gw_view_head(gw_view_t *self);
void gw_view_set_head(gw_view_t *self, uint64_t head);
uint64_t gw_view_base(gw_view_t *self);
void gw_view_set_base(gw_view_t *self, uint64_t base);
uint64_t gw_view_epoch(gw_view_t *self);
void gw_view_set_epoch(gw_view_t *self, uint64_t epoch);
/* The aggregator's incarnation the view's snapshot came from (0: not said). */
uint64_t gw_view_incarnation(gw_view_t *self);
void gw_view_set_incarnation(gw_view_t *self, uint64_t inc);

/* Totals with seq > after (and of buyer, when buyer is non-NULL), sorted by seq ascending.
 * *out is malloc'ed (free it); returns the count or -ENOMEM. */
long gw_view_since(gw_view_t *self, uint64_t after, const char *buyer,
                   const gw_total_t ***out);

/* Does total t pass the filters (buyer exact, key prefix; NULL/"" = any)? */
bool gw_total_match(const gw_total_t *t, const char *buyer, const char *prefix);

/* {"seq":head,"epoch":e,"buyer":"..","count":n,"totals":[...]} of the matching totals in key
 * order. */
int gw_view_render(gw_view_t *self, const char *buyer, const char *prefix, gw_buf_t *out);

#endif
