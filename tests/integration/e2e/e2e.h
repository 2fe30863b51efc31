/*  e2e: the whole chain with real processes — calendar, impact-calculator, kpi-aggregator,
 *  all durable (LMDB sync on unless asked otherwise) — for the end-to-end tests
 *  (test_e2e.c) and the benchmark (tests/bench/bench_e2e.c).
 *
 *  - fleet: the three services on ipc:// endpoints in one temp dir (one MVOI_DATA_DIR);
 *  - workload: a seeded set of tenders and measurements of every kind with corrections and
 *    withdrawals, encoded as the real commands (RegisterTender, SubmitMeasurements,
 *    CorrectMeasurement, WithdrawMeasurement, CancelTender), each with a fixed request id;
 *  - closed form: the impact of every generated measurement computed HERE from docs/domain.md#formulas
 *    (per-unit results of a small set of input combinations, hard-coded with their
 *    arithmetic), turned into a kpi_workload wl_t of final states so that kpi_expect()
 *    (tests/integration/kpi/kpi_check.c, independent of kpi_core) gives every expected total;
 *  - sender: a pipelined DEALER client (window of requests in flight) that retries every
 *    unacknowledged request with the SAME request id after a timeout or a reconnect.
 */
#ifndef MVOI_E2E_H
#define MVOI_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"
#include "harness.h"
#include "kpi_workload.h"

/* ---------------------------------------------------------------- fleet */

enum { E2E_ENV_MAX = 24 };   /* variables per service: its own, the A/B's, CURVE's */

typedef struct {
    char dir[128];
    char capi[192], cpub[192], iapi[192], ipub[192], kapi[192], kpub[192];
    char env[3][E2E_ENV_MAX][256];
    const char *envp[3][E2E_ENV_MAX + 1];
    char bin[3][512];
    h_proc_t proc[3];
    int restarts[3];
} e2e_fleet_t;

enum { E2E_CAL, E2E_IMP, E2E_KPI };

/* Fresh temp dir and endpoints; nosync = LMDB without fsync in every service. */
void e2e_fleet_init(e2e_fleet_t *f, bool nosync);
/* CURVE for the fleet and this process (after e2e_fleet_init, before e2e_fleet_up): keys in
 * <dir>/keys -- the services' server key "bus" (service, every buyer) and "client" (admin,
 * every buyer) -- the services get the server key and the registry, and this process
 * (and the mvoictl it starts) the client key, through MVOI_CURVE* in its environment and
 * mvoi_curve_set(). 0 or negative errno. e2e_fleet_fini() turns it off again. */
int e2e_fleet_curve(e2e_fleet_t *f);
/* One more variable ("NAME=value") for a service's next start (after e2e_fleet_init):
 * 0, or -E2BIG when its environment is full (E2E_ENV_MAX). */
int e2e_fleet_env(e2e_fleet_t *f, int which, const char *kv);
/* Spawn one service (0 or negative errno). */
int e2e_fleet_start(e2e_fleet_t *f, int which);
/* Start all three and wait until each answers health (0 or -ETIMEDOUT). */
int e2e_fleet_up(e2e_fleet_t *f, int timeout_ms);
/* kill -9 and start again. */
int e2e_fleet_kill9_restart(e2e_fleet_t *f, int which);
/* SIGKILL everything; remove the dir unless keep. */
void e2e_fleet_fini(e2e_fleet_t *f, bool keep);
const char *e2e_fleet_name(int which);
/* Head seq of a producer (its HealthReply.head_seq), 0 on no answer. */
uint64_t e2e_head(const char *api, int timeout_ms);
/* The kpi-aggregator's inbox cursors (last_seq per producer) from its LMDB. */
void e2e_kpi_cursors(e2e_fleet_t *f, uint64_t *cal, uint64_t *imp);
/* Wait until the kpi-aggregator has applied everything the calendar and the
 * impact-calculator have published (their heads). 0 or -ETIMEDOUT. */
int e2e_wait_kpi_caught_up(e2e_fleet_t *f, int timeout_ms);
/* Wait until the impact-calculator's calendar cursor reaches the calendar head. */
int e2e_wait_impact_knows_calendar(e2e_fleet_t *f, int timeout_ms);

/* ---------------------------------------------------------------- workload */

enum { K_ENERGY, K_MACHINE, K_ROAD, K_MATERIAL, K_SOCIAL, K_FAIRTRADE, K_MKI, K_PILOT, K_N };

/* One version (revision) of a measurement: the inputs, compactly. */
typedef struct {
    uint32_t id;               /* "M%06u" */
    uint16_t tender;           /* "T%04u" */
    uint8_t buyer, group;      /* of the tender */
    uint8_t phase;             /* Mvoi__Phase: 1 ambition, 2 realisation */
    uint8_t kind, combo;       /* K_*, index into the kind's input combinations */
    uint8_t theme;             /* pilot: its theme */
    uint16_t year;
    uint8_t month, day;        /* period_end; period_start = the 1st of that month */
    uint32_t qty;              /* the kind's quantity (litres, hours, km, ...) */
} e2e_mv_t;

typedef struct {
    wl_tender_t t;
    uint8_t kind;              /* TenderKind */
    uint32_t sroi_bp;
    int64_t value_cents;
} e2e_tender_t;

enum { R_TENDER, R_SUBMIT, R_CORRECT, R_WITHDRAW, R_CANCEL };

typedef struct {
    uint8_t kind;              /* R_* */
    uint8_t buyer;
    uint32_t off, n;           /* R_SUBMIT: items[off..off+n) are mv indexes;
                                * R_CORRECT/R_WITHDRAW: off = mv index (new version / the
                                * withdrawn one); R_TENDER/R_CANCEL: off = tender idx */
    int32_t dep;               /* request that must be acknowledged first, -1 none */
} e2e_req_t;

typedef struct {
    uint64_t seed;
    uint64_t rid_seed;         /* request ids "e2e-<rid_seed>-<i>"; e2e_wl_new: = seed */
    const char *buyers[2];     /* names of buyer 0 and 1; NULL: wl_buyer() (heerlen,
                                * landgraaf). Two workloads with other names and the same
                                * seeds of ids are two tenants with the same ids. */
    uint32_t ntenders, nmeas;
    e2e_tender_t *tenders;     /* [1..ntenders] */
    e2e_mv_t *mv;              /* versions; [0..nmeas) are the originals (id = i + 1) */
    size_t nmv;
    uint32_t *items;           /* mv indexes of the submit batches */
    size_t nitems;
    e2e_req_t *req;
    size_t nreq;
    size_t first_meas_req;     /* requests before are R_TENDER (calendar) */
    size_t first_cancel_req;   /* requests from here on are R_CANCEL (calendar) */
    uint32_t *final;           /* [id] = mv index of the final version */
    bool *withdrawn;           /* [id] */
    size_t corrections, withdrawals, cancels;
    size_t per_kind[K_N];
} e2e_wl_t;

/* ntenders <= 500 (kpi_expect's tender bitmap); batch = measurements per SubmitMeasurements. */
e2e_wl_t *e2e_wl_new(uint64_t seed, uint32_t ntenders, uint32_t nmeas, uint32_t batch);
void e2e_wl_destroy(e2e_wl_t **self_p);

/* Closed form (docs/domain.md#formulas): the KPI (1..6, 0 = none) a version feeds, its amount in the
 * KPI's unit, and for fair trade the products in risk categories. */
int e2e_expected(const e2e_mv_t *m, int64_t *amount, int64_t *risk_products);
/* The final states as a kpi_workload wl_t, for kpi_expect(). Free with wl_destroy. */
wl_t *e2e_wl_final(const e2e_wl_t *w);

/* Encode request i as an Envelope (malloc'd buffer, *len). rid: its request id. */
uint8_t *e2e_encode(const e2e_wl_t *w, size_t i, size_t *len, char *rid, size_t ridlen);
/* Fill and pack one measurement (used by the bench). */
size_t e2e_pack_submit(const e2e_mv_t *const *mv, size_t n, const char *buyer,
                       const char *rid, uint8_t **out);

/* ---------------------------------------------------------------- sender */

typedef struct e2e_sender e2e_sender_t;
/* Called after every acknowledgement with the number acknowledged so far; returns 1 when
 * the server was restarted (the sender reconnects and resends what is in flight). */
typedef int (e2e_hook_fn)(void *arg, size_t acked);

e2e_sender_t *e2e_sender_new(void *zctx, const char *endpoint, int window, int retry_ms);
void e2e_sender_destroy(e2e_sender_t **self_p);
/* Send requests [from, to) of w, honouring deps, until all are acknowledged with a
 * success reply. Returns 0, or -EPROTO (an error reply: *err set) or -ETIMEDOUT
 * (no progress for timeout_ms). */
int e2e_sender_run(e2e_sender_t *s, const e2e_wl_t *w, size_t from, size_t to,
                   e2e_hook_fn *hook, void *arg, int timeout_ms, char *err, size_t errlen);
size_t e2e_sender_resent(const e2e_sender_t *s);
size_t e2e_sender_duplicates(const e2e_sender_t *s);

#endif
