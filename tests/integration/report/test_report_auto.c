/*  The automatic quarterly reports, in-process with a fixed clock (clock.h) against the
 *  fake upstream process: the Europe/Amsterdam quarter boundary (2026-03-31T22:30Z is
 *  already Q2 in Amsterdam, 21:30Z is not), the durable record (a restart repeats
 *  nothing), and no skipped quarter after an outage.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "clock.h"
#include "harness.h"
#include "log.h"
#include "report_service.h"
#include "service_int.h"

static char s_dir[128], s_up[192];
static pid_t s_fake;

static void setup(void)
{
    h_tmpdir(s_dir, sizeof s_dir);
    snprintf(s_up, sizeof s_up, "ipc://%s/up", s_dir);
    char bin[512];
    h_bin(bin, sizeof bin, "tests/integration/report/mvoi-report-fakeup");
    s_fake = fork();
    if (s_fake == 0) {
        execl(bin, bin, s_up, "2026", "40", "2000", (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(h_wait_healthy(s_up, 5000), 0);
    log_init("report-test", "text", "warn");
}

static void teardown(void)
{
    kill(s_fake, SIGTERM);
    waitpid(s_fake, NULL, 0);
    clock_set_source(NULL, NULL);
    h_tmpdir_remove(s_dir);
}

typedef struct {
    rp_service_t *svc;
    uint64_t want;
    int64_t deadline;
    uv_timer_t t;
} s_run_t;

static void s_tick(uv_timer_t *t)
{
    s_run_t *r = t->data;
    if (rp_service_generated(r->svc) >= r->want || clock_mono_ns() / 1000000 > r->deadline) {
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
        rp_service_stop(r->svc);
    }
}

/* Run a service instance for the buyers of auto_buyers (registry: NULL, every buyer)
 * until it has generated `want` reports (or 10 s), stop it. */
static uint64_t s_run_reg(const mvoi_buyers_t *registry, const char *auto_buyers,
                          int64_t now_ms, uint64_t want, int settle_ms)
{
    clock_set_fixed(now_ms);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    char data[256], reports[256], api[200], pub[200];
    snprintf(data, sizeof data, "%s/data", s_dir);
    snprintf(reports, sizeof reports, "%s/reports", s_dir);
    snprintf(api, sizeof api, "ipc://%s/api", s_dir);
    snprintf(pub, sizeof pub, "ipc://%s/pub", s_dir);
    rp_service_opts_t o = { .data_dir = data, .reports_dir = reports, .api = api, .pub = pub,
                            .kpi_api = s_up, .calendar_api = s_up, .impact_api = s_up,
                            .chromium = "", .lang = TEXT_NL, .auto_enabled = true,
                            .auto_buyers = auto_buyers, .auto_check_ms = 20, .nosync = true,
                            .buyers = registry };
    int err = 0;
    rp_service_t *svc = rp_service_new(&loop, ctx, &o, &err);
    cr_assert(svc, "service: %d", err);
    s_run_t r = { svc, want, clock_mono_ns() / 1000000 + (want ? 10000 : settle_ms) };
    uv_timer_init(&loop, &r.t);
    r.t.data = &r;
    uv_timer_start(&r.t, s_tick, 10, 10);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t n = rp_service_generated(svc);
    rp_service_destroy(&svc);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return n;
}

static uint64_t s_run_for(const char *auto_buyers, int64_t now_ms, uint64_t want,
                          int settle_ms)
{
    return s_run_reg(NULL, auto_buyers, now_ms, want, settle_ms);
}

static uint64_t s_run(int64_t now_ms, uint64_t want, int settle_ms)
{
    return s_run_for("heerlen", now_ms, want, settle_ms);
}

static bool s_exists_of(const char *buyer, const char *period)
{
    char p[512];
    snprintf(p, sizeof p, "%s/reports/%s/%s/mvoi-report-%s-%s.nl.html", s_dir, buyer, period,
             buyer, period);
    struct stat st;
    return stat(p, &st) == 0;
}

static bool s_exists(const char *period) { return s_exists_of("heerlen", period); }

Test(report_auto, amsterdam_quarter_boundary_restart_and_outage, .init = setup, .fini = teardown,
     .timeout = 60)
{
    /* 2026-03-31T21:30Z = 23:30 in Amsterdam: still Q1. A fresh store generates the quarter
     * that ended last (2025 Q4) and, after a Q4, the annual report 2025; not 2026 Q1. */
    cr_assert_eq(s_run(1774992600000LL, 2, 0), 2);
    cr_assert(s_exists("2025-q4") && s_exists("2025"));
    cr_assert(!s_exists("2026-q1"), "Q1 2026 generated before it ended in Amsterdam");
    /* A restart at the same time repeats nothing. */
    cr_assert_eq(s_run(1774992600000LL, 0, 300), 0, "a restart repeated a report");
    /* 2026-03-31T22:30Z = 00:30 on 1 April in Amsterdam: Q1 has ended. */
    cr_assert_eq(s_run(1774996200000LL, 1, 0), 1);
    cr_assert(s_exists("2026-q1"));
    cr_assert_eq(s_run(1774996200000LL, 0, 300), 0, "a restart repeated a report");
    /* Down until 2026-10-01T06:00Z: Q2 and Q3 both ended meanwhile; neither is skipped. */
    cr_assert_eq(s_run(1790834400000LL, 2, 0), 2);
    cr_assert(s_exists("2026-q2") && s_exists("2026-q3"));
    cr_assert_eq(s_run(1790834400000LL, 0, 300), 0);
}

/* A long auto_buyers list reaches its last buyer: 130 x "heerlen," (1.040 bytes) and then
 * "kerkrade". The list was copied into 1.024 bytes: kerkrade was dropped without a word (2
 * reports, not 4). A buyer name longer than an id is refused in the log, not cut into
 * another buyer's name, and the list goes on after it. */
Test(report_auto, long_buyer_list_reaches_its_last_buyer, .init = setup, .fini = teardown,
     .timeout = 60)
{
    size_t cap = 130 * 8 + 200;
    char *list = malloc(cap);
    cr_assert(list);
    list[0] = 0;
    for (int i = 0; i < 130; i++)
        strcat(list, "heerlen,");
    strcat(list, "kerkrade");
    /* 2026-03-31T21:30Z: 2025 Q4 and the annual 2025 are due, for each buyer */
    cr_assert_eq(s_run_for(list, 1774992600000LL, 4, 0), 4);
    cr_expect(s_exists("2025-q4") && s_exists("2025"));
    cr_expect(s_exists_of("kerkrade", "2025-q4") && s_exists_of("kerkrade", "2025"));
    free(list);
}

Test(report_auto, buyer_list_names_whole_or_refused)
{
    char name[90];
    memset(name, 'a', 70);   /* longer than a buyer id (64 bytes) */
    name[70] = 0;
    char list[200];
    snprintf(list, sizeof list, " heerlen,, %s ,kerkrade ", name);
    const char *cur = list;
    char b[65];
    cr_assert_eq(rp_auto_buyer_next(&cur, b, sizeof b), 7);
    cr_expect_str_eq(b, "heerlen");
    cr_assert_eq(rp_auto_buyer_next(&cur, b, sizeof b), -ENAMETOOLONG);
    cr_assert_eq(rp_auto_buyer_next(&cur, b, sizeof b), 8);
    cr_expect_str_eq(b, "kerkrade");
    cr_assert_eq(rp_auto_buyer_next(&cur, b, sizeof b), 0);
}

/* A name in auto_buyers that the buyer registry does not serve gets no report: a typo
 * ("heerlem") had its quarterly and annual reports made, empty, as a request for it would
 * have been refused ("not served here"), while the buyer meant got none if it was not
 * listed too. Listed first, heerlem's two reports came before heerlen's. */
Test(report_auto, a_buyer_the_registry_does_not_serve_gets_no_report, .init = setup,
     .fini = teardown, .timeout = 60)
{
    char err[256] = "";
    mvoi_buyers_t *reg = mvoi_buyers_load(MVOI_BUYERS_FILE_SRC, false, err, sizeof err);
    cr_assert(reg, "%s", err);
    cr_assert_eq(s_run_reg(reg, "heerlem,heerlen", 1774992600000LL, 2, 0), 2);
    cr_expect(s_exists("2025-q4") && s_exists("2025"), "heerlen's reports");
    cr_expect(!s_exists_of("heerlem", "2025-q4") && !s_exists_of("heerlem", "2025"),
              "a report for heerlem, a buyer nobody registered");
    /* and nothing more comes for it while the service runs on */
    cr_expect_eq(s_run_reg(reg, "heerlem,heerlen", 1774992600000LL, 0, 300), 0);
    mvoi_buyers_destroy(&reg);
}
