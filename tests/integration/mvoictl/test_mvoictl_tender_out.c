/*  mvoictl tender show / tender list as people read them, against a fake calendar (a ROUTER
 *  in this test) that answers GetTender and ListTenders with known tenders of two buyers
 *  that use the same id. Dutch by default, English with --lang en: every label, the
 *  enum names, yes/no, dates, money and the SROI percentage; the count line of a list (and
 *  of upcoming) on a line of its own after the table. The expected texts are written out here by hand:
 *  2027-01-25 is a Monday (2027-01-01 is a Friday, + 24 days); 123456 cents = € 1.234,56;
 *  500 basis points = 5,00 %; 6173 cents = € 61,73; 1000000000 cents = € 10.000.000,00.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zmq.h>

#include "codec.h"
#include "harness.h"

static void *s_zctx, *s_router;
static volatile int s_stop;
static pthread_t s_thr;
static char s_ep[256];

/* heerlen's T-1: every field people see set. */
static void s_heerlen_t1(Mvoi__Tender *t, Mvoi__ThemeAmbition *th, Mvoi__ThemeAmbition **thp,
                         Mvoi__Person *pl, uint32_t *sdgs)
{
    t->id = "T-1";
    t->buyer = "heerlen";
    t->title = "Brandstofpassen";
    t->has_status = t->has_kind = t->has_value_cents = t->has_procedure = true;
    t->status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
    t->has_version = true;
    t->version = 3;
    t->kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t->value_cents = 123456;
    t->procedure = MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR;
    t->threshold_period = "2026-2027";
    t->has_kickoff_required = t->kickoff_required = true;
    t->planned_publication = "2027-01-25";
    t->contract_start = "2027-04-01";
    t->contract_end = "2029-03-31";
    t->purchasing_group = "Bedrijfsvoering";
    t->cpv = "30163100-0";
    pl->name = "Kees Bos";
    pl->email = "k.bos@heerlen.nl";
    t->project_leader = pl;
    th[0].has_theme = th[0].has_commitment = th[1].has_theme = th[1].has_commitment = true;
    th[0].theme = MVOI__THEME__THEME_KLIMAAT;
    th[0].commitment = MVOI__COMMITMENT__COMMIT_EIS;
    th[1].theme = MVOI__THEME__THEME_SOCIAL_RETURN;
    th[1].commitment = MVOI__COMMITMENT__COMMIT_GUNNING;
    thp[0] = &th[0];
    thp[1] = &th[1];
    t->n_themes = 2;
    t->themes = thp;
    sdgs[0] = 7;
    sdgs[1] = 13;
    t->n_sdgs = 2;
    t->sdgs = sdgs;
    t->has_sroi_pct_bp = t->has_sroi_obligation_cents = true;
    t->sroi_pct_bp = 500;
    t->sroi_obligation_cents = 6173;
    t->has_pilot = t->pilot = true;
    t->has_ambition_complete = true;
    t->ambition_complete = false;
    t->source = "csv";
}

/* venlo's T-1 (the same id) and heerlen's T-2: few fields. */
static void s_small(Mvoi__Tender *t, const char *buyer, const char *id, const char *title,
                    int64_t cents, const char *publication)
{
    t->id = (char *)id;
    t->buyer = (char *)buyer;
    t->title = (char *)title;
    t->has_status = t->has_kind = t->has_value_cents = true;
    t->status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    t->kind = MVOI__TENDER_KIND__KIND_WERKEN;
    t->value_cents = cents;
    t->planned_publication = (char *)publication;
}

static void s_answer(const Mvoi__Envelope *req, Mvoi__Envelope *rep, uint8_t *buf, size_t cap,
                     int64_t *len)
{
    Mvoi__Tender h1 = MVOI__TENDER__INIT, h2 = MVOI__TENDER__INIT, v1 = MVOI__TENDER__INIT;
    Mvoi__ThemeAmbition th[2] = { MVOI__THEME_AMBITION__INIT, MVOI__THEME_AMBITION__INIT };
    Mvoi__ThemeAmbition *thp[2];
    Mvoi__Person pl = MVOI__PERSON__INIT;
    uint32_t sdgs[2];
    s_heerlen_t1(&h1, th, thp, &pl, sdgs);
    s_small(&h2, "heerlen", "T-2", "Straatmeubilair", 9900, "2027-03-01");
    s_small(&v1, "venlo", "T-1", "Riolering Venlo", 1000000000, "2027-02-01");
    bool venlo = req->buyer && !strcmp(req->buyer, "venlo");
    Mvoi__TenderReply tr = MVOI__TENDER_REPLY__INIT;
    Mvoi__TenderList tl = MVOI__TENDER_LIST__INIT;
    Mvoi__Tender *list[2] = { &h2, &h1 };   /* the last row's title: Brandstofpassen */
    if (req->body_case == MVOI__ENVELOPE__BODY_GET_TENDER) {
        tr.tender = venlo ? &v1 : &h1;
        rep->body_case = MVOI__ENVELOPE__BODY_TENDER_REPLY;
        rep->tender_reply = &tr;
    } else if (req->body_case == MVOI__ENVELOPE__BODY_LIST_TENDERS ||
               req->body_case == MVOI__ENVELOPE__BODY_UPCOMING_TENDERS) {
        if (venlo)
            list[0] = &v1;
        tl.n_tenders = venlo ? 1 : 2;
        tl.tenders = list;
        tl.has_total = true;
        tl.total = (uint32_t)tl.n_tenders;
        const Mvoi__ListTenders *q =
            req->body_case == MVOI__ENVELOPE__BODY_LIST_TENDERS ? req->list_tenders : NULL;
        if (q && q->has_limit && q->limit == 1) {   /* pages of one: list --all --limit 1 */
            uint32_t at = q->has_offset ? q->offset : 0;
            tl.tenders = at < tl.total ? &list[at] : NULL;
            tl.n_tenders = at < tl.total ? 1 : 0;
            tl.has_next_offset = at + 1 < tl.total;
            tl.next_offset = at + 1 < tl.total ? at + 1 : 0;
        }
        rep->body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
        rep->tender_list = &tl;
    }
    *len = codec_pack_into(rep, buf, cap);
}

static void *s_serve(void *arg)
{
    (void)arg;
    while (!s_stop) {
        zmq_pollitem_t it = { s_router, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        zmq_msg_recv(&id, s_router, 0);
        zmq_msg_recv(&body, s_router, 0);
        int err = 0;
        Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body),
                                           CODEC_DEFAULT_BUDGET, &err);
        Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
        Mvoi__Error e = MVOI__ERROR__INIT;
        rep.request_id = req ? req->request_id : NULL;
        rep.body_case = MVOI__ENVELOPE__BODY_ERROR;
        rep.error = &e;
        e.has_code = true;
        e.code = MVOI__ERROR_CODE__ERR_NOT_FOUND;
        e.message = "no such tender";
        static uint8_t buf[1 << 14];
        int64_t len = 0;
        if (req)
            s_answer(req, &rep, buf, sizeof buf, &len);
        if (len <= 0) {
            rep.body_case = MVOI__ENVELOPE__BODY_ERROR;
            rep.error = &e;
            len = codec_pack_into(&rep, buf, sizeof buf);
        }
        zmq_send(s_router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(s_router, buf, len > 0 ? (size_t)len : 0, 0);
        codec_free(&req);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
    return NULL;
}

static void s_fake_start(void)
{
    s_zctx = zmq_ctx_new();
    s_router = zmq_socket(s_zctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(s_router, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(s_router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof s_ep;
    zmq_getsockopt(s_router, ZMQ_LAST_ENDPOINT, s_ep, &len);
    s_stop = 0;
    pthread_create(&s_thr, NULL, s_serve, NULL);
}

static void s_fake_stop(void)
{
    s_stop = 1;
    pthread_join(s_thr, NULL);
    zmq_close(s_router);
    zmq_ctx_term(s_zctx);
}

TestSuite(mvoictl_tender_out, .init = s_fake_start, .fini = s_fake_stop, .timeout = 60);

/* mvoictl ARGS against the fake calendar, stdout and stderr into out (2>&1: one pipe, so
 * the order in which the two reach it is the order a terminal shows). */
static int s_ctl(const char *args, char *out, size_t cap)
{
    char ctl[512], cmd[1024];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "env -u MVOI_LANG MVOI_CALENDAR_API=%s %s %s 2>&1", s_ep, ctl, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(mvoictl_tender_out, show_in_dutch_by_default)
{
    static char out[1 << 14];
    cr_assert_eq(s_ctl("tender show T-1", out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out,
        "id                   T-1\n"
        "titel                Brandstofpassen\n"
        "organisatie          heerlen\n"
        "status               gepubliceerd (versie 3)\n"
        "soort opdracht       diensten\n"
        "waarde               € 1.234,56\n"
        "procedure            Europees openbaar, drempelwaarden 2026-2027\n"
        "startsessie          verplicht\n"
        "geplande publicatie  maandag 25 januari 2027\n"
        "contractperiode      1 april 2027 t/m 31 maart 2029\n"
        "inkoopgroep          Bedrijfsvoering\n"
        "CPV-code             30163100-0\n"
        "projectleider        Kees Bos <k.bos@heerlen.nl>\n"
        "budgethouder         -\n"
        "inkoopadviseur       -\n"
        "thema's              Klimaat (eis), Social Return (gunningscriterium)\n"
        "ambitie              nog niet volledig\n"
        "SDG's                7, 13\n"
        "SROI                 5,00 % = € 61,73\n"
        "ISV-risicogroep      -\n"
        "pilot                ja\n"
        "bron                 csv\n");
    /* venlo's T-1 is its own tender */
    cr_assert_eq(s_ctl("--buyer venlo tender show T-1", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "titel                Riolering Venlo\n"), "%s", out);
    cr_expect(strstr(out, "waarde               € 10.000.000,00\n"), "%s", out);
    cr_expect(strstr(out, "status               gepland (versie 0)\n"), "%s", out);
    cr_expect(strstr(out, "pilot                nee\n"), "%s", out);
    cr_expect(!strstr(out, "Brandstofpassen"), "%s", out);
}

Test(mvoictl_tender_out, show_in_english_with_lang_en)
{
    static char out[1 << 14];
    cr_assert_eq(s_ctl("--lang en tender show T-1", out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out,
        "id                   T-1\n"
        "title                Brandstofpassen\n"
        "buyer                heerlen\n"
        "status               published (version 3)\n"
        "kind                 services\n"
        "value                € 1,234.56\n"
        "procedure            European open, thresholds 2026-2027\n"
        "kick-off             required\n"
        "planned publication  Monday 25 January 2027\n"
        "contract             1 April 2027 to 31 March 2029\n"
        "purchasing group     Bedrijfsvoering\n"
        "CPV code             30163100-0\n"
        "project leader       Kees Bos <k.bos@heerlen.nl>\n"
        "budget holder        -\n"
        "procurement adviser  -\n"
        "themes               Climate (requirement), Social return (award criterion)\n"
        "ambition             not complete\n"
        "SDGs                 7, 13\n"
        "SROI                 5.00 % = € 61.73\n"
        "ISV risk group       -\n"
        "pilot                yes\n"
        "source               csv\n");
}

/* Line n (0-based) of out, runs of spaces squeezed to one. */
static const char *s_line(const char *out, int n, char *buf, size_t cap)
{
    const char *p = out;
    for (; n > 0 && p; n--)
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    cr_assert(p && *p, "no line %d in:\n%s", n, out);
    size_t k = 0;
    for (; *p && *p != '\n' && k + 1 < cap; p++)
        if (*p != ' ' || (k && buf[k - 1] != ' '))
            buf[k++] = *p;
    buf[k] = 0;
    return buf;
}

/* The column, in characters (the euro sign is one), at which needle starts (end false) or
 * ends (end true) in line n of out. */
static int s_col(const char *out, int n, const char *needle, bool end)
{
    const char *p = out;
    for (; n > 0 && p; n--)
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    cr_assert(p, "no line in:\n%s", out);
    const char *eol = strchr(p, '\n'), *hit = strstr(p, needle);
    cr_assert(hit && (!eol || hit < eol), "no %s in line %d of:\n%s", needle, n, out);
    const char *stop = end ? hit + strlen(needle) : hit;
    int col = 0;
    for (const char *q = p; q < stop; q++)
        col += ((unsigned char)*q & 0xC0) != 0x80;
    return col;
}

/* The table: headers from the catalogue, columns lined up in characters, the enum names
 * in people's words, the count after the table on a line of its own. */
Test(mvoictl_tender_out, list_headers_and_count_line)
{
    static char out[1 << 14];
    char l[512];
    cr_assert_eq(s_ctl("tender list", out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(s_line(out, 0, l, sizeof l),
                     "ID PUBLICATIE SOORT WAARDE PROCEDURE STATUS TITEL", "%s", out);
    cr_expect_str_eq(s_line(out, 1, l, sizeof l),
                     "T-2 1 maart 2027 werken € 99,00 - gepland Straatmeubilair", "%s", out);
    cr_expect_str_eq(s_line(out, 2, l, sizeof l),
                     "T-1 25 januari 2027 diensten € 1.234,56 Europees openbaar gepubliceerd "
                     "Brandstofpassen", "%s", out);
    /* the count: after the last title, on its own line */
    cr_expect(strstr(out, "Brandstofpassen\n2 inkooptrajecten\n"), "%s", out);
    /* values right-aligned under their header, titles under theirs */
    cr_expect_eq(s_col(out, 1, "99,00", true), s_col(out, 0, "WAARDE", true), "%s", out);
    cr_expect_eq(s_col(out, 2, "1.234,56", true), s_col(out, 0, "WAARDE", true), "%s", out);
    cr_expect_eq(s_col(out, 2, "Brandstofpassen", false), s_col(out, 0, "TITEL", false),
                 "%s", out);
    cr_expect_eq(s_col(out, 1, "gepland", false), s_col(out, 0, "STATUS", false), "%s", out);

    cr_assert_eq(s_ctl("--buyer venlo tender list", out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(s_line(out, 1, l, sizeof l),
                     "T-1 1 februari 2027 werken € 10.000.000,00 - gepland Riolering Venlo");
    cr_expect(strstr(out, "Riolering Venlo\n1 inkooptraject\n"), "%s", out);
    cr_expect(!strstr(out, "Brandstofpassen"), "%s", out);

    cr_assert_eq(s_ctl("--lang en tender list", out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(s_line(out, 0, l, sizeof l),
                     "ID PUBLICATION KIND VALUE PROCEDURE STATUS TITLE", "%s", out);
    cr_expect_str_eq(s_line(out, 2, l, sizeof l),
                     "T-1 25 January 2027 services € 1,234.56 European open published "
                     "Brandstofpassen", "%s", out);
    cr_expect(strstr(out, "Brandstofpassen\n2 tenders\n"), "%s", out);
    cr_expect_eq(s_col(out, 2, "Brandstofpassen", false), s_col(out, 0, "TITLE", false),
                 "%s", out);

    /* upcoming: the same table, its own count line */
    cr_assert_eq(s_ctl("tender upcoming", out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(s_line(out, 0, l, sizeof l),
                     "ID PUBLICATIE SOORT WAARDE PROCEDURE STATUS TITEL", "%s", out);
    cr_expect(strstr(out, "Brandstofpassen\n2 binnenkort te publiceren\n"), "%s", out);
    cr_assert_eq(s_ctl("--lang en tender upcoming", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "Brandstofpassen\n2 upcoming\n"), "%s", out);
}

/* mvoictl ARGS with stdout on /dev/full (a real full device: every write is ENOSPC) and
 * stderr into err; the exit code. */
static int s_ctl_full(const char *args, char *err, size_t cap)
{
    char ctl[512], cmd[1024];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "env -u MVOI_LANG MVOI_CALENDAR_API=%s %s %s 2>&1 >/dev/full",
             s_ep, ctl, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(err, 1, cap - 1, p);
    err[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A list, a tender as JSON or the help that could not be written (a full disk) is not
 * success: 74 (EX_IOERR) and the reason on stderr, in --lang. It was exit 0 with nothing
 * said: stdio wrote its buffer at exit and dropped the failure, so a script's
 * `mvoictl --json tender list > tenders.json` went on with an empty file. */
Test(mvoictl_tender_out, a_full_disk_on_stdout_is_not_success)
{
    static char err[1 << 12];
    cr_expect_eq(s_ctl_full("tender list", err, sizeof err), 74, "%s", err);
    cr_expect(strstr(err, "mvoictl: de uitvoer kon niet worden geschreven: No space left on "
                          "device; wat is geschreven, is onvolledig\n"), "%s", err);
    cr_expect_eq(s_ctl_full("--lang en --json tender show T-1", err, sizeof err), 74, "%s", err);
    cr_expect(strstr(err, "mvoictl: cannot write the output: No space left on device; what "
                          "was written is incomplete\n"), "%s", err);
    cr_expect_eq(s_ctl_full("--help", err, sizeof err), 74, "%s", err);
    /* a refusal keeps its own code (the fake answers a cancel "not found": 65), its JSON
     * on stdout lost as well */
    cr_expect_eq(s_ctl_full("--json tender cancel T-1 --reason x", err, sizeof err), 65, "%s",
                 err);
    cr_expect(strstr(err, "de uitvoer kon niet worden geschreven"), "%s", err);
}

/* list --all --json over pages (the fake's pages of one with --limit 1): one JSON document
 * with both of heerlen's tenders in the calendar's order and the total, no next_offset.
 * It printed one document per page, one after the other: not JSON, and `jq .total` said
 * 2 twice. */
Test(mvoictl_tender_out, list_all_json_is_one_document)
{
    static char out[1 << 14];
    char ctl[512], cmd[1024];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "env -u MVOI_LANG MVOI_CALENDAR_API=%s %s --json tender list "
             "--all --limit 1 | /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); "
             "print(d[\"total\"], [t[\"id\"] + \" \" + t[\"title\"] for t in d[\"tenders\"]], "
             "\"next_offset\" in d)'", s_ep, ctl);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    cr_expect_eq(pclose(p), 0, "%s", out);
    cr_expect_str_eq(out, "2 ['T-2 Straatmeubilair', 'T-1 Brandstofpassen'] False\n");
}
