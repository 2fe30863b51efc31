/*  cal_fx: the fixture of the calendar's own integration tests (test_calendar.c: commands,
 *  rules at their boundaries, idempotency; test_calendar_cli.c: CSV/OCDS imports and the
 *  CLI through mvoictl; test_calendar_restart.c: restart, replay, snapshot, bad data dir).
 *  Each test starts its own mvoi-calendar on ipc:// endpoints in a fresh temp directory
 *  (suite "calendar", its init and fini here); cf_ is this fixture's prefix.
 */
#ifndef MVOI_CAL_FX_H
#define MVOI_CAL_FX_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"
#include "harness.h"

#define DEMO_CSV MVOI_SOURCE_DIR "/deploy/demo/calendar.csv"
#define DEMO_OCDS MVOI_SOURCE_DIR "/deploy/demo/ocds"
#define SAMPLE_OCDS MVOI_SOURCE_DIR "/tests/fixtures/ocds"
#define DEMO_ROWS 32
#define INV MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

typedef struct {
    char dir[128];
    char api[192], pub[192];
    char env[8][256];
    const char *envp[9];
    char bin[512], ctl[512];
    h_proc_t proc;
    int rid;
} cf_fx_t;

/* The fixture's one state (tests run one at a time in their own process). */
extern cf_fx_t F;

/* A valid tender on the stack (strings are literals). */
typedef struct {
    Mvoi__Tender t;
    Mvoi__Person leader;
    Mvoi__ThemeAmbition th[2];
    Mvoi__ThemeAmbition *thp[2];
    uint32_t sdgs[2];
} cf_tender_t;

/* Start (again) the calendar of F; the test fails if it does not come up. */
void cf_start(void);
/* Run mvoictl ARGS...; stdout into out (NUL-terminated). Returns the exit code. */
int cf_ctl(char *out, size_t outlen, const char *const *args);
/* Send req (a request id and the buyer heerlen filled in when unset); the reply. */
Mvoi__Envelope *cf_req(Mvoi__Envelope *req);
uint64_t cf_head(void);
/* Count of tenders and the sum of their versions (a cheap fingerprint of the store). */
void cf_fingerprint(uint32_t *count, uint64_t *versions);
void cf_tender(cf_tender_t *s, const char *id, Mvoi__TenderKind kind, int64_t cents,
               const char *pub);
void cf_add_theme(cf_tender_t *s, Mvoi__Theme theme, Mvoi__Commitment c);
Mvoi__Envelope *cf_register(Mvoi__Tender *t);
/* r is an error of code on field (r freed). */
void cf_expect_error(Mvoi__Envelope *r, Mvoi__ErrorCode code, const char *field);
/* r's tender; the test fails on an error. */
Mvoi__Tender *cf_ok(Mvoi__Envelope *r);
Mvoi__Envelope *cf_status(const char *id, Mvoi__TenderStatus st);

#endif
