/*  The language of a refusal, against a real mvoi-calendar (and mvoictl).
 *
 *  The six single-tender commands (RegisterTender, UpdateTender, UpsertTender,
 *  RecordAmbition, ChangeStatus, CancelTender) answered their refusals in English only: a
 *  Dutch adviser read "SROI 7.00 % is outside 2-5 %" under mvoictl's Dutch "fout (ongeldige
 *  invoer):". The request now states its language once, in the envelope (Envelope.lang:
 *  "nl" by default, "en"); the rule's words are the catalogue's, the same as in the import.
 *  A language that is neither is refused by name (field "lang"), and nothing is written.
 *
 *  The expected texts are written out here from the catalogue's wording (not produced by
 *  the code under test). Two buyers hold the same tender ids throughout: a refusal for one
 *  changes nothing of the other's.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cal_it.h"
#include "harness.h"

static cal_it_fx_t F;

static void s_setup(void) { cal_it_start(&F, "heerlen"); }
static void s_teardown(void) { cal_it_stop(&F); }

TestSuite(calendar_lang, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* One request's messages, all on the stack (strings are literals). */
typedef struct {
    Mvoi__Envelope env;
    Mvoi__Tender t;
    Mvoi__RegisterTender reg;
    Mvoi__UpdateTender upd;
    Mvoi__UpsertTender ups;
    Mvoi__RecordAmbition amb;
    Mvoi__ChangeStatus cs;
    Mvoi__CancelTender ct;
    Mvoi__ThemeAmbition th;
    Mvoi__ThemeAmbition *thp;
    uint32_t sdg;
    char rid[64];
} s_msg_t;

enum { C_REGISTER, C_UPDATE, C_UPSERT, C_AMBITION, C_STATUS, C_CANCEL, C_N };
static const char *const s_names[C_N] = { "register_tender", "update_tender", "upsert_tender",
                                          "record_ambition", "change_status", "cancel_tender" };

/* A valid tender of the test: services, 1.000,00 euro, planned for 2027. */
static void s_tender(Mvoi__Tender *t, const char *id, const char *title)
{
    mvoi__tender__init(t);
    t->id = (char *)id;
    t->title = (char *)title;
    t->has_kind = 1;
    t->kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t->has_value_cents = 1;
    t->value_cents = 100000;
    t->planned_publication = "2027-03-01";
}

/* Command c on tender L-1 (register: L-9) of buyer, in lang (NULL: unset). bad: with the one
 * bad field of the command's case (see s_expect); otherwise a command the calendar takes. */
static void s_build(s_msg_t *m, int c, bool bad, const char *buyer, const char *lang)
{
    static int n;
    memset(m, 0, sizeof *m);
    mvoi__envelope__init(&m->env);
    snprintf(m->rid, sizeof m->rid, "lang-%d-%d", (int)getpid(), ++n);
    m->env.request_id = m->rid;
    m->env.buyer = (char *)buyer;
    m->env.lang = (char *)lang;
    switch (c) {
    case C_REGISTER:   /* social return in scope with SROI 7 %: outside 2-5 % */
        s_tender(&m->t, "L-9", "Nieuw traject");
        if (bad) {
            mvoi__theme_ambition__init(&m->th);
            m->th.has_theme = 1;
            m->th.theme = MVOI__THEME__THEME_SOCIAL_RETURN;
            m->th.has_commitment = 1;
            m->th.commitment = MVOI__COMMITMENT__COMMIT_EIS;
            m->thp = &m->th;
            m->t.n_themes = 1;
            m->t.themes = &m->thp;
            m->t.has_sroi_pct_bp = 1;
            m->t.sroi_pct_bp = 700;
        }
        mvoi__register_tender__init(&m->reg);
        m->reg.tender = &m->t;
        m->env.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
        m->env.register_tender = &m->reg;
        break;
    case C_UPDATE:   /* the contract ends before it starts */
        s_tender(&m->t, "L-1", "Schoonmaak 2027");
        if (bad) {
            m->t.contract_start = "2027-05-01";
            m->t.contract_end = "2027-01-01";
        }
        mvoi__update_tender__init(&m->upd);
        m->upd.tender = &m->t;
        m->env.body_case = MVOI__ENVELOPE__BODY_UPDATE_TENDER;
        m->env.update_tender = &m->upd;
        break;
    case C_UPSERT:   /* not a CPV code */
        s_tender(&m->t, "L-1", "Schoonmaak 2028");
        if (bad)
            m->t.cpv = "abc";
        mvoi__upsert_tender__init(&m->ups);
        m->ups.tender = &m->t;
        m->env.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDER;
        m->env.upsert_tender = &m->ups;
        break;
    case C_AMBITION:   /* SDG 18 */
        mvoi__record_ambition__init(&m->amb);
        m->amb.tender_id = "L-1";
        m->sdg = bad ? 18 : 8;
        m->amb.n_sdgs = 1;
        m->amb.sdgs = &m->sdg;
        m->env.body_case = MVOI__ENVELOPE__BODY_RECORD_AMBITION;
        m->env.record_ambition = &m->amb;
        break;
    case C_STATUS:   /* awarded without a recorded ambition */
        mvoi__change_status__init(&m->cs);
        m->cs.tender_id = "L-1";
        m->cs.has_status = 1;
        m->cs.status = bad ? MVOI__TENDER_STATUS__STATUS_AWARDED
                           : MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED;
        m->env.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
        m->env.change_status = &m->cs;
        break;
    default:   /* C_CANCEL: a tab in the reason (it goes into mails: one line) */
        mvoi__cancel_tender__init(&m->ct);
        m->ct.tender_id = "L-1";
        m->ct.reason = bad ? "geen\tbudget" : "geen budget";
        m->env.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
        m->env.cancel_tender = &m->ct;
        break;
    }
}

/* The field and the reason of each command's bad case, in Dutch and in English. */
static const struct {
    const char *field, *nl, *en;
} s_expect[C_N] = {
    { "register_tender.tender.sroi_pct_bp",
      "SROI 7,00 % ligt buiten 2-5 % (200..500 bp); geef sroi_exempt_reason om af te wijken",
      "SROI 7.00 % is outside 2-5 % (200..500 bp); give sroi_exempt_reason to deviate" },
    { "update_tender.tender.contract_end",
      "1 januari 2027 ligt vóór contract_start 1 mei 2027",
      "1 January 2027 is before contract_start 1 May 2027" },
    { "upsert_tender.tender.cpv",
      "'abc' is geen CPV-code (8 cijfers, eventueel -controlecijfer)",
      "'abc' is not a CPV code (8 digits, optional -check digit)" },
    { "record_ambition.sdgs[0]", "SDG 18 ligt niet tussen 1 en 17", "SDG 18 is not 1..17" },
    { "change_status.status",
      "de stap naar gegund vraagt een vastgelegde ambitie: elk thema dat erbij hoort met een "
      "toezegging",
      "awarded needs the ambition recorded: every theme in scope with a commitment" },
    { "cancel_tender.reason", "teken 5 is een stuurteken (U+0009): één regel tekst",
      "character 5 is a control character (U+0009): one line of text" },
};

static Mvoi__Envelope *s_send(const Mvoi__Envelope *req)
{
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(F.api, req, &r, 5000), 0, "no reply");
    return r;
}

/* The calendar's head (its last event's seq): every change is an event. */
static uint64_t s_head(void)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *r = s_send(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    uint64_t h = r->health_reply->head_seq;
    mvoi__envelope__free_unpacked(r, NULL);
    return h;
}

/* buyer's tender id: its version and status (version 0: not there). */
static uint32_t s_version(const char *buyer, const char *id, Mvoi__TenderStatus *status)
{
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = (char *)id;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.buyer = (char *)buyer;
    req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    req.get_tender = &g;
    Mvoi__Envelope *r = s_send(&req);
    uint32_t v = 0;
    if (r->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY) {
        v = r->tender_reply->tender->version;
        if (status)
            *status = r->tender_reply->tender->status;
    } else {
        cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND, "%s", r->error->message);
    }
    mvoi__envelope__free_unpacked(r, NULL);
    return v;
}

/* L-1 for heerlen and for leudal: the same id, the same content. */
static void s_seed(void)
{
    const char *buyers[] = { "heerlen", "leudal" };
    for (int b = 0; b < 2; b++) {
        s_msg_t m;
        s_build(&m, C_REGISTER, false, buyers[b], NULL);
        m.t.id = "L-1";
        m.t.title = "Schoonmaak";
        Mvoi__Envelope *r = s_send(&m.env);
        cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "%s: %s", buyers[b],
                     r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
        mvoi__envelope__free_unpacked(r, NULL);
    }
}

/* Send c's bad case for heerlen in lang; the reply must be an error with the case's field
 * and want as its message. */
static void s_refused_as(int c, const char *lang, const char *want)
{
    s_msg_t m;
    s_build(&m, c, true, "heerlen", lang);
    Mvoi__Envelope *r = s_send(&m.env);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s (lang %s) accepted", s_names[c],
                 lang ? lang : "unset");
    cr_expect_str_eq(r->error->field, s_expect[c].field, "%s (lang %s): %s", s_names[c],
                     lang ? lang : "unset", r->error->message);
    cr_expect_str_eq(r->error->message, want, "%s (lang %s)", s_names[c], lang ? lang : "unset");
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(calendar_lang, each_command_refuses_in_dutch_by_default_and_in_english_when_asked)
{
    s_seed();
    uint64_t head = s_head();
    for (int c = 0; c < C_N; c++) {
        s_refused_as(c, NULL, s_expect[c].nl);   /* unset: Dutch */
        s_refused_as(c, "", s_expect[c].nl);     /* empty: as unset */
        s_refused_as(c, "nl", s_expect[c].nl);
        s_refused_as(c, "en", s_expect[c].en);
    }
    /* nothing written, for either buyer */
    cr_expect_eq(s_head(), head, "a refusal wrote an event");
    Mvoi__TenderStatus st = 0;
    cr_expect_eq(s_version("heerlen", "L-1", &st), 1);
    cr_expect_eq(st, MVOI__TENDER_STATUS__STATUS_PLANNED);
    cr_expect_eq(s_version("leudal", "L-1", &st), 1);
    cr_expect_eq(st, MVOI__TENDER_STATUS__STATUS_PLANNED);
    cr_expect_eq(s_version("heerlen", "L-9", NULL), 0);
}

/* The refusals that are the calendar's own (not a rule of the tender), in both languages. */
Test(calendar_lang, the_calendars_own_refusals_in_the_requests_language)
{
    s_seed();
    static const struct {
        int c;
        const char *field, *nl, *en;
    } cases[] = {
        { C_REGISTER, "register_tender.tender.id", "inkooptraject L-1 bestaat al",
          "tender L-1 already exists" },
        { C_UPDATE, "update_tender.expected_version",
          "het inkooptraject staat op versie 1, niet op 7",
          "the tender is at version 1, not 7" },
        { C_STATUS, "change_status.status", "gebruik cancel_tender: annuleren vraagt een reden",
          "use cancel_tender: cancelling needs a reason" },
        { C_CANCEL, "cancel_tender.tender_id", "er is geen inkooptraject L-404",
          "no tender L-404" },
        { C_CANCEL, "buyer", "het verzoek noemt geen organisatie",
          "the request names no buyer (organisation)" },
    };
    uint64_t head = s_head();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int en = 0; en < 2; en++) {
            s_msg_t m;
            s_build(&m, cases[i].c, false, "heerlen", en ? "en" : NULL);
            if (i == 0)
                m.t.id = "L-1";
            else if (i == 1) {
                m.upd.has_expected_version = 1;
                m.upd.expected_version = 7;
            } else if (i == 2)
                m.cs.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
            else if (i == 3)
                m.ct.tender_id = "L-404";
            else
                m.env.buyer = NULL;
            Mvoi__Envelope *r = s_send(&m.env);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "case %zu accepted", i);
            cr_expect_str_eq(r->error->field, cases[i].field, "case %zu", i);
            cr_expect_str_eq(r->error->message, en ? cases[i].en : cases[i].nl, "case %zu", i);
            mvoi__envelope__free_unpacked(r, NULL);
        }
    }
    cr_expect_eq(s_head(), head, "a refusal wrote an event");
}

/* A language that is not nl or en: refused by name before anything else, nothing written,
 * however valid the command is otherwise. */
Test(calendar_lang, a_language_that_is_not_nl_or_en_is_refused_by_name)
{
    s_seed();
    char long65[66];
    memset(long65, 'n', 65);
    long65[65] = '\0';
    /* 1 + 8 x 2 bytes: the 16 shown end inside the last é, which is left out whole (the
     * reply's text stays UTF-8); a tab is shown as '?' */
    const char *bad[] = { "de", "NL ", long65, "nl-NL", "EN", "a\u00e9\u00e9\u00e9\u00e9\u00e9"
                          "\u00e9\u00e9\u00e9", "n\tl" };
    const char *said[] = { "'de' is geen taal: nl of en", "'NL ' is geen taal: nl of en",
                           "'nnnnnnnnnnnnnnnn' is geen taal: nl of en",
                           "'nl-NL' is geen taal: nl of en", "'EN' is geen taal: nl of en",
                           "'a\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9' is geen taal: nl of en",
                           "'n?l' is geen taal: nl of en" };
    uint64_t head = s_head();
    for (int c = 0; c < C_N; c++) {
        /* the command itself is fine: in Dutch it goes through (below) */
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            s_msg_t m;
            s_build(&m, c, false, "heerlen", bad[b]);
            Mvoi__Envelope *r = s_send(&m.env);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s with lang '%s' accepted",
                         s_names[c], bad[b]);
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
            cr_expect_str_eq(r->error->field, "lang", "%s '%s'", s_names[c], bad[b]);
            cr_expect_str_eq(r->error->message, said[b], "%s '%s'", s_names[c], bad[b]);
            mvoi__envelope__free_unpacked(r, NULL);
        }
    }
    cr_expect_eq(s_head(), head, "a refused language wrote an event");
    cr_expect_eq(s_version("heerlen", "L-9", NULL), 0);
    cr_expect_eq(s_version("heerlen", "L-1", NULL), 1);
    /* a query too */
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = "L-1";
    Mvoi__Envelope q = MVOI__ENVELOPE__INIT;
    q.buyer = "heerlen";
    q.lang = "de";
    q.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    q.get_tender = &g;
    Mvoi__Envelope *r = s_send(&q);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_str_eq(r->error->field, "lang");
    mvoi__envelope__free_unpacked(r, NULL);
    /* the same commands in "en" are taken: only the language was wrong (leudal's, so that
     * heerlen's L-1 stays as it was) */
    for (int c = 0; c < C_N; c++) {
        s_msg_t m;
        s_build(&m, c, false, "leudal", "en");
        r = s_send(&m.env);
        cr_expect_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "%s: %s", s_names[c],
                     r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
        mvoi__envelope__free_unpacked(r, NULL);
    }
    Mvoi__TenderStatus st = 0;
    /* 1 + update, upsert, ambition, status, cancel */
    cr_expect_eq(s_version("leudal", "L-1", &st), 6);
    cr_expect_eq(st, MVOI__TENDER_STATUS__STATUS_CANCELLED);
    cr_expect_eq(s_version("heerlen", "L-1", &st), 1, "leudal's commands reached heerlen");
    cr_expect_eq(st, MVOI__TENDER_STATUS__STATUS_PLANNED);
}

/* UpsertTenders has its own lang (field 6): it wins over the envelope's; an envelope's bad
 * language is refused all the same; without the body's, the envelope's is used. */
Test(calendar_lang, the_bodys_lang_wins_over_the_envelopes)
{
    Mvoi__Tender t;
    s_tender(&t, "B-1", "Bad");
    t.cpv = "abc";
    Mvoi__Tender *tp = &t;
    static const struct {
        const char *env, *body, *field, *want;
    } cases[] = {
        { "nl", "en", NULL, "'abc' is not a CPV code (8 digits, optional -check digit)" },
        { "en", "nl", NULL, "'abc' is geen CPV-code (8 cijfers, eventueel -controlecijfer)" },
        { "en", NULL, NULL, "'abc' is not a CPV code (8 digits, optional -check digit)" },
        { NULL, NULL, NULL, "'abc' is geen CPV-code (8 cijfers, eventueel -controlecijfer)" },
        { "de", "en", "lang", "'de' is geen taal: nl of en" },
        { "en", "de", "upsert_tenders.lang", "'de' is not a language: nl or en" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Mvoi__UpsertTenders u = MVOI__UPSERT_TENDERS__INIT;
        u.n_tenders = 1;
        u.tenders = &tp;
        u.lang = (char *)cases[i].body;
        char rid[32];
        snprintf(rid, sizeof rid, "body-lang-%zu", i);
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.request_id = rid;
        req.buyer = "heerlen";
        req.lang = (char *)cases[i].env;
        req.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
        req.upsert_tenders = &u;
        Mvoi__Envelope *r = s_send(&req);
        if (cases[i].field) {
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "case %zu", i);
            cr_expect_str_eq(r->error->field, cases[i].field, "case %zu", i);
            cr_expect_str_eq(r->error->message, cases[i].want, "case %zu", i);
        } else {
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_UPSERT_TENDERS_REPLY, "case %zu: %s",
                         i, r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
            Mvoi__UpsertResult *res = r->upsert_tenders_reply->results[0];
            cr_assert_not_null(res->error, "case %zu taken", i);
            cr_expect_str_eq(res->error->message, cases[i].want, "case %zu", i);
        }
        mvoi__envelope__free_unpacked(r, NULL);
    }
}

static char s_out[1 << 14];

/* What an adviser sees: mvoictl sends its language (--lang, Dutch by default) in the
 * envelope, so the calendar's reason is in the same language as mvoictl's own words. */
Test(calendar_lang, mvoictl_shows_the_refusal_in_its_language)
{
    const char *add[] = { "tender", "add", "--id", "M-1", "--title", "Groen", "--kind",
                          "diensten", "--value", "1000", NULL };
    cr_assert_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, add), 0, "%s",
                 cal_it_err(&F));
    const char *nl[] = { "tender", "status", "M-1", "awarded", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, nl), 65);
    cr_expect_str_eq(cal_it_err(&F),
                     "fout (niet toegestaan in deze toestand): status: de stap naar gegund vraagt "
                     "een vastgelegde ambitie: elk thema dat erbij hoort met een toezegging\n");
    const char *en[] = { "--lang", "en", "tender", "status", "M-1", "awarded", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, en), 65);
    cr_expect_str_eq(cal_it_err(&F),
                     "error (not allowed in this state): status: awarded needs the ambition "
                     "recorded: every theme in scope with a commitment\n");
    const char *twice[] = { "tender", "add", "--id", "M-1", "--title", "Groen", "--kind",
                            "diensten", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, twice), 65);
    cr_expect_str_eq(cal_it_err(&F), "fout (bestaat al): id: inkooptraject M-1 bestaat al\n");
}

/* The refused field named as the flag the adviser typed, not as the calendar's field. */
Test(calendar_lang, mvoictl_names_the_flag_of_a_refused_field)
{
    const char *add[] = { "tender", "add", "--id", "M-1", "--title", "Groen", "--kind",
                          "diensten", NULL };
    cr_assert_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, add), 0, "%s",
                 cal_it_err(&F));
    const char *sroi[] = { "tender", "ambition", "M-1", "--theme", "social_return:eis",
                           "--sroi", "9%", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, sroi), 65);
    cr_expect_str_eq(cal_it_err(&F), "fout (ongeldige invoer): --sroi: SROI 9,00 % ligt buiten "
                     "2-5 % (200..500 bp); geef sroi_exempt_reason om af te wijken\n");
    const char *end[] = { "tender", "add", "--id", "M-2", "--title", "Groen", "--kind",
                          "diensten", "--start", "01-05-2027", "--end", "01-01-2027", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, end), 65);
    cr_expect_str_eq(cal_it_err(&F), "fout (ongeldige invoer): --end: 1 januari 2027 ligt vóór "
                     "contract_start 1 mei 2027\n");
    const char *tab[] = { "tender", "cancel", "M-1", "--reason", "geen\tbudget", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, tab), 65);
    cr_expect_str_eq(cal_it_err(&F), "fout (ongeldige invoer): --reason: teken 5 is een "
                     "stuurteken (U+0009): één regel tekst\n");
    const char *none[] = { "tender", "cancel", "M-404", "--reason", "geen budget", NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, none), 65);
    cr_expect_str_eq(cal_it_err(&F), "fout (niet gevonden): id: er is geen inkooptraject M-404\n");
    /* from a file, the file's names: the field as the calendar names it */
    const char *json = cal_it_file(&F, "m3.json", "{\"id\":\"M-3\",\"title\":\"Groen\","
                                   "\"kind\":\"diensten\",\"cpv\":\"abc\"}", 0);
    const char *byfile[] = { "tender", "add", "--json", json, NULL };
    cr_expect_eq(cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, byfile), 65);
    cr_expect_str_eq(cal_it_err(&F), "fout (ongeldige invoer): cpv: 'abc' is geen CPV-code "
                     "(8 cijfers, eventueel -controlecijfer)\n");
}
