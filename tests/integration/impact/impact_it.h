/*  impact_it: the fixture shared by the impact-calculator integration tests
 *  (test_impact_*.c): mvoi-impact-calculator and mvoi-impact-fakecal (producer "calendar",
 *  four tenders T-KLIMA, T-NOX, T-SROI, T-CANCEL) as real processes in a fresh directory. */
#ifndef MVOI_TEST_IMPACT_IT_H
#define MVOI_TEST_IMPACT_IT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "impact.pb-c.h"
#include "system.pb-c.h"

typedef struct {
    char dir[128], api[192], pub[192], capi[192], cpub[192];
    char env_i[16][600];
    const char *envp_i[17];
    char env_c[8][600];
    const char *envp_c[9];
    char imp_bin[512], cal_bin[512];
    h_proc_t imp, cal;
} fx_t;

typedef struct {
    Mvoi__Measurement m;
    Mvoi__EnergyUse e;
    Mvoi__MachineUse mu;
    Mvoi__RoadTransport r;
    Mvoi__Material mat;
    Mvoi__SocialReturn s;
    Mvoi__FairTrade ft;
    Mvoi__Mki k;
    Mvoi__MkiImpact ki[4];
    Mvoi__MkiImpact *kip[4];
    Mvoi__PilotStatus p;
    char id[64];
} meas_t;

/* A fresh directory, endpoints and environments; nothing started. factors_dir NULL: the
 * shipped tables. */
void fx_init(fx_t *f, const char *factors_dir);
void fx_start_cal(fx_t *f);
void fx_start_imp(fx_t *f);
/* Add the NULL-terminated NAME=value settings to the impact-calculator's environment
 * (for its next start). */
void fx_env_imp(fx_t *f, const char *const *vars);
/* Stop the impact-calculator gracefully, add the NULL-terminated NAME=value settings to its
 * environment and start it again; returns once a calendar heartbeat has passed. */
void fx_restart_imp_with(fx_t *f, const char *const *vars);
/* Wait until the projection holds n tenders (read from the impact-calculator's LMDB). */
void fx_wait_tenders(fx_t *f, size_t n);
/* fx_init, both processes up, the four tenders of the fake calendar projected. */
void fx_up(fx_t *f, const char *factors_dir);
/* Kill both (-9) and remove the directory. */
void fx_fini(fx_t *f);
/* A realisation measurement of tender for Q1 of year, no kind yet. */
void m_base(meas_t *x, const char *id, const char *tender, const char *year);
void m_energy(meas_t *x, int carrier, int ref, int64_t qmilli);
void m_machine(meas_t *x, uint32_t kw, int act, int req, int64_t hours_milli,
               uint32_t load_permille);
/* One request to the impact-calculator (buyer heerlen unless set); asserts a reply. */
Mvoi__Envelope *fx_call(fx_t *f, Mvoi__Envelope *e);
Mvoi__Envelope *fx_submit(fx_t *f, const char *rid, meas_t **items, size_t n);
/* A refusal asking for the same request again soon (ERR_UNAVAILABLE on a tender_id: the
 * calculator is asking the calendar about the tender, or the calendar is away). */
bool fx_tender_pending(const Mvoi__Envelope *r);
/* fx_submit, asked again under the same rid while fx_tender_pending, for up to 5 s;
 * *asked (if given): how many times it was sent. */
Mvoi__Envelope *fx_submit_settled(fx_t *f, const char *rid, meas_t **items, size_t n,
                                  int *asked);
/* Submit one measurement and return its result (asserting the reply shape). */
Mvoi__MeasurementResult *fx_submit1(fx_t *f, meas_t *x, Mvoi__Envelope **keep);
/* Submit one, expect it accepted with an impact. */
Mvoi__Impact *fx_expect_ok(fx_t *f, meas_t *x, Mvoi__Envelope **keep);
/* Submit one, expect it refused with code on a field ending in field_suffix. */
void fx_expect_field(fx_t *f, meas_t *x, int code, const char *field_suffix);
Mvoi__Envelope *fx_get(fx_t *f, const char *id);
/* The impact-calculator's outbox head (HealthReply.head_seq). */
uint64_t fx_head(fx_t *f);
/* GetMeasurement id answers NOT_FOUND. */
void fx_expect_absent(fx_t *f, const char *id);

#endif
