/*  tenant_bus: what the tenant_bus tests share (tenant_bus_fix.c). Five real services
 *  (calendar, impact-calculator, kpi-aggregator, notifier, report) on tcp with CURVE on;
 *  heerlen and venlo with the same tender and measurement ids; keys bus, ops (admin, every
 *  buyer), hrlr (reader, heerlen), hrls (submitter, heerlen), vens (submitter, venlo).
 *  The tests: tenant_bus.c (requests refused), tenant_bus_names.c (event streams, the same
 *  ids in names). */
#ifndef MVOI_TEST_TENANT_BUS_H
#define MVOI_TEST_TENANT_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

#define TB_NSVC 5   /* tb.api[i], tb_svc[i]: 0 calendar, 1 impact, 2 kpi, 3 notifier, 4 report */
extern const char *const tb_svc[TB_NSVC];

typedef struct {
    char dir[128], keys[192], reg[256];
    char api[TB_NSVC][64], pub[TB_NSVC][64];
    char env[40][400];
    const char *envp[41];
    h_proc_t proc[TB_NSVC];
    int rid;
    int year;   /* next year: T-2's publication, so that its kick-off lies ahead */
} tb_fixture_t;
extern tb_fixture_t tb;

/* What a refused request must leave as it was. */
typedef struct {
    uint64_t head[TB_NSVC];
    char *rem;
    int mails, reports;
    char *tender, *meas;
} tb_state_t;

void tb_setup(void);      /* a suite's .init: keys, registry, the five services */
void tb_teardown(void);   /* .fini */
/* The key (z85 public or secret, ext "pub"/"sec") of name into out. */
void tb_read_key(const char *name, const char *ext, char out[41]);
/* Requests from now on as key name. */
void tb_as(const char *name);
/* One request to service svc as key `as`, the envelope as JSON (printf format); NULL on a
 * timeout. Free with tb_free. */
Mvoi__Envelope *tb_req(int svc, const char *as, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tb_free(Mvoi__Envelope **e);
/* The reply is an Error with code and a field that names `field` (a substring). */
void tb_is_error(Mvoi__Envelope *r, Mvoi__ErrorCode code, const char *field, const char *what);
uint64_t tb_head(int svc);
int64_t tb_co2_total(const char *buyer);
int tb_count_files(const char *sub, const char *needle);
char *tb_reminders(const char *buyer);
void tb_tender(const char *buyer, const char *id, int64_t cents, const char *pub);
void tb_measure(const char *as, const char *buyer, const char *id, long litres);
void tb_scene(void);   /* both buyers' T-1 with M-1 and T-2; waits until all is there */
char *tb_get_json(int svc, const char *fmt);
void tb_state(tb_state_t *s);
void tb_same(const tb_state_t *a, const tb_state_t *b);
void tb_state_free(tb_state_t *s);

#endif
