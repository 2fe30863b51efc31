/*  cal_fx: the fixture of the calendar's own integration tests (cal_fx.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cal_fx.h"
#include "cal_it.h"
#include "harness.h"

cf_fx_t F;

void cf_start(void)
{
    cr_assert_eq(h_spawn(&F.proc, F.bin, "calendar", F.dir, F.envp), 0);
    cr_assert_eq(h_wait_healthy(F.api, 10000), 0, "mvoi-calendar did not come up");
}

static void s_setup(void)
{
    memset(&F, 0, sizeof F);
    h_tmpdir(F.dir, sizeof F.dir);
    cr_assert(F.dir[0]);
    snprintf(F.api, sizeof F.api, "ipc://%s/api", F.dir);
    snprintf(F.pub, sizeof F.pub, "ipc://%s/pub", F.dir);
    int i = 0;
    snprintf(F.env[i++], 256, "MVOI_DATA_DIR=%s", F.dir);
    snprintf(F.env[i++], 256, "MVOI_CALENDAR_API=%s", F.api);
    snprintf(F.env[i++], 256, "MVOI_CALENDAR_PUB=%s", F.pub);
    snprintf(F.env[i++], 256, "MVOI_LOG_LEVEL=warn");
    snprintf(F.env[i++], 256, "MVOI_BUYER=heerlen");
    for (int k = 0; k < i; k++)
        F.envp[k] = F.env[k];
    h_bin(F.bin, sizeof F.bin, "services/calendar/mvoi-calendar");
    h_bin(F.ctl, sizeof F.ctl, "services/mvoictl/mvoictl");
    cf_start();
}

static void s_teardown(void)
{
    h_kill9(&F.proc);
    h_tmpdir_remove(F.dir);
}

TestSuite(calendar, .init = s_setup, .fini = s_teardown, .timeout = 40);

/* ------------------------------------------------------------------ helpers */

/* Run mvoictl ARGS...; stdout into out (NUL-terminated). Returns the exit code. */
int cf_ctl(char *out, size_t outlen, const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, out, outlen, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

Mvoi__Envelope *cf_req(Mvoi__Envelope *req)
{
    char rid[64];
    if (!req->request_id) {
        snprintf(rid, sizeof rid, "t-%d-%d", getpid(), ++F.rid);
        req->request_id = rid;
    }
    if (!req->buyer)
        req->buyer = "heerlen";
    Mvoi__Envelope *r = NULL;
    int rc = h_request(F.api, req, &r, 5000);
    if (req->request_id == rid)
        req->request_id = NULL;
    cr_assert_eq(rc, 0, "no reply: %d", rc);
    return r;
}

uint64_t cf_head(void)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *r = cf_req(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    uint64_t h = r->health_reply->head_seq;
    mvoi__envelope__free_unpacked(r, NULL);
    return h;
}

/* Count of tenders and the sum of their versions (a cheap fingerprint of the store). */
void cf_fingerprint(uint32_t *count, uint64_t *versions)
{
    *count = 0;
    *versions = 0;
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_limit = 1;
    q.limit = 1000;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &q;
    Mvoi__Envelope *r = cf_req(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_LIST);
    *count = r->tender_list->total;
    for (size_t i = 0; i < r->tender_list->n_tenders; i++)
        *versions += r->tender_list->tenders[i]->version;
    mvoi__envelope__free_unpacked(r, NULL);
}

void cf_tender(cf_tender_t *s, const char *id, Mvoi__TenderKind kind, int64_t cents,
                     const char *pub)
{
    memset(s, 0, sizeof *s);
    Mvoi__Tender ti = MVOI__TENDER__INIT;
    s->t = ti;
    s->t.id = (char *)id;
    s->t.title = "Testtraject";
    s->t.has_kind = 1;
    s->t.kind = kind;
    s->t.has_value_cents = 1;
    s->t.value_cents = cents;
    s->t.planned_publication = (char *)pub;
    Mvoi__Person p = MVOI__PERSON__INIT;
    s->leader = p;
    s->leader.name = "Anja de Vries";
    s->leader.email = "a.devries@heerlen.nl";
    s->t.project_leader = &s->leader;
}

void cf_add_theme(cf_tender_t *s, Mvoi__Theme theme, Mvoi__Commitment c)
{
    Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT;
    size_t i = s->t.n_themes;
    s->th[i] = a;
    s->th[i].has_theme = 1;
    s->th[i].theme = theme;
    if (c) {
        s->th[i].has_commitment = 1;
        s->th[i].commitment = c;
    }
    s->thp[i] = &s->th[i];
    s->t.themes = s->thp;
    s->t.n_themes = i + 1;
}

Mvoi__Envelope *cf_register(Mvoi__Tender *t)
{
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = t;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    req.register_tender = &rt;
    return cf_req(&req);
}

void cf_expect_error(Mvoi__Envelope *r, Mvoi__ErrorCode code, const char *field)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "expected an error on %s", field);
    cr_expect_eq(r->error->code, code, "%s: code %d, want %d (%s)", field, r->error->code, code,
                 r->error->message);
    cr_expect_str_eq(r->error->field, field, "field %s, want %s (%s)", r->error->field, field,
                     r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

Mvoi__Tender *cf_ok(Mvoi__Envelope *r)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "error: %s: %s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->field : "",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    return r->tender_reply->tender;
}

Mvoi__Envelope *cf_status(const char *id, Mvoi__TenderStatus st)
{
    Mvoi__ChangeStatus cs = MVOI__CHANGE_STATUS__INIT;
    cs.tender_id = (char *)id;
    cs.has_status = 1;
    cs.status = st;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
    req.change_status = &cs;
    return cf_req(&req);
}

#define INV MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT
