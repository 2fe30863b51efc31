/*  An import whose key the service stops taking half way, against a fake calendar and
 *  impact-calculator (one ROUTER in this test on both endpoints). It takes the first
 *  `s_take` write commands (each of them stored in s_stored) and answers every later one as
 *  a service's server_auth.c answers a connection whose key was revoked from the registry
 *  after the handshake: ERR_PERMISSION_DENIED on the field "key". A real service cannot be
 *  made to reload its registry between two commands of one pipelined import at a chosen
 *  moment; the reply is the same bytes.
 *
 *  With --window 4 the tender import sends one tender per command (cal_client.h: at least
 *  four commands in flight), and --per 1 makes one measurement per request: of the three
 *  rows (file rows 2, 3, 4) the first is stored, the other two are not. Before: exit 65 and
 *  "mislukt: rij 3 T-B: key: ..." for each, the code of a sheet to correct. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zmq.h>

#include "codec.h"
#include "harness.h"

static void *s_zctx, *s_router;
static volatile int s_stop;
static pthread_t s_thr;
static char s_ep[256], s_dir[128];
static int s_take;              /* write commands still taken */
static bool s_storage_failed;   /* then the later ones: a storage failure, not the key */
static bool s_silent;           /* then no answer to the later ones at all */
static char s_stored[256];      /* ids taken, "A,B," */
/* The same fake as a CURVE server on a second endpoint, with the context's ZAP handler:
 * once it has answered a write command with an earlier run's stored refusal (s_stale),
 * every later handshake is refused (400), as a service whose registry lost the key. */
static void *s_router_c, *s_zap;
static char s_ep_c[256], s_srv_pub[41], s_key_path[256];
static bool s_stale, s_curve;
static volatile int s_zap_closed;

static void s_store(const char *id)
{
    size_t n = strlen(s_stored);
    snprintf(s_stored + n, sizeof s_stored - n, "%s,", id);
}

/* A write command: taken (every item stored) or refused for the key. Else "not found". */
static int64_t s_answer(const Mvoi__Envelope *req, uint8_t *buf, size_t cap)
{
    Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
    Mvoi__Error e = MVOI__ERROR__INIT;
    rep.request_id = req->request_id;
    rep.correlation_id = req->correlation_id;   /* this run's: not a stored reply */
    rep.body_case = MVOI__ENVELOPE__BODY_ERROR;
    rep.error = &e;
    e.has_code = true;
    e.code = MVOI__ERROR_CODE__ERR_NOT_FOUND;
    e.message = "not found";
    bool up = req->body_case == MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
    bool sm = req->body_case == MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    size_t n = up ? req->upsert_tenders->n_tenders
                  : sm ? req->submit_measurements->n_measurements : 0;
    Mvoi__UpsertResult ur[8], *urp[8];
    Mvoi__MeasurementResult mr[8], *mrp[8];
    Mvoi__UpsertTendersReply utr = MVOI__UPSERT_TENDERS_REPLY__INIT;
    Mvoi__MeasurementReply mrr = MVOI__MEASUREMENT_REPLY__INIT;
    if (n > 8)   /* more than these tests send: no answer, the test fails on its exit */
        return -1;
    if ((up || sm) && s_take <= 0 && s_silent)
        return -1;
    if ((up || sm) && s_take <= 0 && s_stale) {   /* a stored reply of an earlier run */
        rep.correlation_id = "run-earlier";
        e.message = "de tender bestond nog niet";
        s_zap_closed = 1;
    } else if ((up || sm) && s_take <= 0 && s_storage_failed) {   /* server.c's, store failed */
        e.code = MVOI__ERROR_CODE__ERR_UNAVAILABLE;
        e.message = "opslagfout; er is niets gewijzigd, probeer opnieuw met hetzelfde "
                    "request-id";
    } else if ((up || sm) && s_take <= 0) {   /* server_auth.c's reply to a revoked key */
        e.code = MVOI__ERROR_CODE__ERR_PERMISSION_DENIED;
        e.field = "key";
        e.message = "de sleutel van deze verbinding staat niet meer in het sleutelregister "
                    "(ingetrokken)";
    } else if (up || sm) {
        s_take--;
        for (size_t i = 0; i < n; i++) {
            if (up) {
                mvoi__upsert_result__init(&ur[i]);
                ur[i].has_outcome = true;
                ur[i].outcome = MVOI__UPSERT_OUTCOME__UPSERT_CREATED;
                urp[i] = &ur[i];
                s_store(req->upsert_tenders->tenders[i]->id);
            } else {
                mvoi__measurement_result__init(&mr[i]);
                mr[i].id = req->submit_measurements->measurements[i]->id;
                mr[i].has_ok = mr[i].ok = true;
                mrp[i] = &mr[i];
                s_store(mr[i].id);
            }
        }
        utr.n_results = mrr.n_results = n;
        utr.results = urp;
        mrr.results = mrp;
        rep.body_case = up ? MVOI__ENVELOPE__BODY_UPSERT_TENDERS_REPLY
                           : MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY;
        if (up)   /* one union: the other's pointer would overwrite it */
            rep.upsert_tenders_reply = &utr;
        else
            rep.measurement_reply = &mrr;
    }
    return codec_pack_into(&rep, buf, cap);
}

/* One ZAP request (RFC 27): 200 until s_zap_closed, then 400. */
static void s_zap_answer(void)
{
    zmq_msg_t f[8];
    int n = 0, more = 1;
    while (more && n < 8) {
        zmq_msg_init(&f[n]);
        zmq_msg_recv(&f[n], s_zap, 0);
        more = zmq_msg_more(&f[n++]);
    }
    const char *code = s_zap_closed ? "400" : "200";
    zmq_send(s_zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(s_zap, n > 1 ? zmq_msg_data(&f[1]) : "", n > 1 ? zmq_msg_size(&f[1]) : 0,
             ZMQ_SNDMORE);
    zmq_send(s_zap, code, 3, ZMQ_SNDMORE);
    zmq_send(s_zap, "", 0, ZMQ_SNDMORE);
    zmq_send(s_zap, "client", 6, ZMQ_SNDMORE);
    zmq_send(s_zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void s_serve_one(void *router)
{
    {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        zmq_msg_recv(&id, router, 0);
        zmq_msg_recv(&body, router, 0);
        int err = 0;
        Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body),
                                           CODEC_DEFAULT_BUDGET, &err);
        static uint8_t buf[1 << 14];
        int64_t len = req ? s_answer(req, buf, sizeof buf) : -1;
        if (len > 0) {
            zmq_send(router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
            zmq_send(router, buf, (size_t)len, 0);
        }
        codec_free(&req);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
}

static void *s_serve(void *arg)
{
    (void)arg;
    while (!s_stop) {
        zmq_pollitem_t it[3] = { { s_router, 0, ZMQ_POLLIN, 0 }, { s_router_c, 0, ZMQ_POLLIN, 0 },
                                 { s_zap, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll(it, 3, 50) <= 0)
            continue;
        if (it[2].revents & ZMQ_POLLIN)
            s_zap_answer();
        if (it[0].revents & ZMQ_POLLIN)
            s_serve_one(s_router);
        if (it[1].revents & ZMQ_POLLIN)
            s_serve_one(s_router_c);
    }
    return NULL;
}

static void s_fake_start(void)
{
    h_tmpdir(s_dir, sizeof s_dir);
    s_zctx = zmq_ctx_new();
    s_router = zmq_socket(s_zctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(s_router, ZMQ_LINGER, &zero, sizeof zero);
    snprintf(s_ep, sizeof s_ep, "ipc://%s/api", s_dir);
    cr_assert_eq(zmq_bind(s_router, s_ep), 0);
    /* the CURVE endpoint: ZAP handler first (libzmq asks it for every handshake) */
    char srv_sec[41], cli_pub[41], cli_sec[41];
    cr_assert_eq(zmq_curve_keypair(s_srv_pub, srv_sec), 0);
    cr_assert_eq(zmq_curve_keypair(cli_pub, cli_sec), 0);
    s_zap = zmq_socket(s_zctx, ZMQ_REP);
    cr_assert_eq(zmq_bind(s_zap, "inproc://zeromq.zap.01"), 0);
    s_router_c = zmq_socket(s_zctx, ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt(s_router_c, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s_router_c, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(s_router_c, ZMQ_CURVE_SECRETKEY, srv_sec, 40);
    zmq_setsockopt(s_router_c, ZMQ_ZAP_DOMAIN, "api", 3);
    snprintf(s_ep_c, sizeof s_ep_c, "ipc://%s/apic", s_dir);
    cr_assert_eq(zmq_bind(s_router_c, s_ep_c), 0);
    snprintf(s_key_path, sizeof s_key_path, "%s/client.key", s_dir);
    FILE *kf = fopen(s_key_path, "w");
    cr_assert(kf);
    fprintf(kf, "%s\n", cli_sec);
    fclose(kf);
    chmod(s_key_path, 0600);
    s_zap_closed = 0;
    s_stop = 0;
    pthread_create(&s_thr, NULL, s_serve, NULL);
}

static void s_fake_stop(void)
{
    s_stop = 1;
    pthread_join(s_thr, NULL);
    zmq_close(s_router);
    zmq_close(s_router_c);
    zmq_close(s_zap);
    zmq_ctx_term(s_zctx);
    h_tmpdir_remove(s_dir);
}

TestSuite(mvoictl_import_key, .init = s_fake_start, .fini = s_fake_stop, .timeout = 30);

static char s_out[1 << 14], s_err[1 << 14];

static void s_slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* mvoictl --buyer heerlen ARGS against the fake, the fake taking `take` write commands;
 * stdout and stderr into s_out and s_err. */
static int s_ctl(int take, const char *args)
{
    char ctl[512], cmd[2048];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    s_take = take;
    s_stored[0] = '\0';
    char curve[512] = "";
    if (s_curve)   /* the CURVE endpoint, this test's keys */
        snprintf(curve, sizeof curve, "MVOI_CURVE=on MVOI_CURVE_SERVER_PUBLIC='%s' "
                 "MVOI_CURVE_KEY_FILE=%s", s_srv_pub, s_key_path);
    const char *ep = s_curve ? s_ep_c : s_ep;
    snprintf(cmd, sizeof cmd, "env -u MVOI_LANG %s MVOI_CALENDAR_API=%s "
             "MVOI_IMPACT_API=%s %s --buyer heerlen %s >%s/out 2>%s/err", curve, ep, ep, ctl,
             args, s_dir, s_dir);
    int st = system(cmd);
    char p[256];
    snprintf(p, sizeof p, "%s/out", s_dir);
    s_slurp(p, s_out, sizeof s_out);
    snprintf(p, sizeof p, "%s/err", s_dir);
    s_slurp(p, s_err, sizeof s_err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *s_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Tender import: exit 77 (the help's "CURVE key refused"), the count stored and the first
 * row not stored, in Dutch by default and in English; --json one document that says the
 * same. Before: 65, two "mislukt" lines, nothing about the key or where to resume. */
Test(mvoictl_import_key, tender_import_revoked_half_way_says_what_was_stored)
{
    const char *p = s_file("t.csv", "Kenmerk;Titel;Soort;Status;Geraamde waarde (excl. btw);"
                                    "Geplande publicatiedatum\n"
                                    "T-A;Dak;werken;gepland;10000;1-3-2027\n"
                                    "T-B;Weg;werken;gepland;20000;1-3-2027\n"
                                    "T-C;Brug;werken;gepland;30000;1-3-2027\n");
    char args[512];
    snprintf(args, sizeof args, "tender import --window 4 %s", p);
    cr_expect_eq(s_ctl(1, args), 77, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "T-A,");
    cr_expect_str_eq(s_out, "3 rij(en): 1 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 2 mislukt\n");
    cr_expect_str_eq(s_err, "mvoictl: calendar nam de sleutel van deze verbinding midden in de "
                     "import niet meer aan (ingetrokken): 1 rij(en) opgeslagen of al aanwezig, "
                     "2 niet opgeslagen, de eerste daarvan rij 3 (T-B). Importeer hetzelfde "
                     "bestand opnieuw met een geldige sleutel: wat al is opgeslagen komt terug "
                     "als ongewijzigd, niets wordt twee keer opgeslagen\n");
    snprintf(args, sizeof args, "--lang en --json tender import --window 4 %s", p);
    cr_expect_eq(s_ctl(1, args), 77, "out: %s\nerr: %s", s_out, s_err);
    cr_expect(strstr(s_out, "\"created\": 1, \"updated\": 0, \"unchanged\": 0, \"repeated\": 0, "
                     "\"failed\": 2,"), "%s", s_out);
    cr_expect(strstr(s_out, "\"key_refused\": {\"stored\": 1, \"not_stored\": 2, "
                     "\"first_not_stored\": {\"row\": 3, \"id\": \"T-B\"}}"), "%s", s_out);
    cr_expect(strstr(s_err, "mvoictl: calendar stopped accepting this connection's key in the "
                     "middle of the import (revoked): 1 row(s) stored or already there, 2 not "
                     "stored, the first of them row 3 (T-B)."), "%s", s_err);
}

/* The same for measure import (one measurement per request), --json: the document and
 * the message on stderr. */
Test(mvoictl_import_key, measure_import_revoked_half_way_says_what_was_stored)
{
    const char *p = s_file("m.csv",
        "id;tender;period_start;period_end;submitter;kind;carrier;reference;quantity\n"
        "M-1;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n"
        "M-2;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;500\n"
        "M-3;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;700\n");
    char args[512];
    snprintf(args, sizeof args, "--json measure import --per 1 %s", p);
    cr_expect_eq(s_ctl(1, args), 77, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "M-1,");
    cr_expect(strstr(s_out, "\"rows\": 3, \"created\": 1, \"unchanged\": 0, \"failed\": 2, "
                     "\"key_refused\": {\"stored\": 1, \"not_stored\": 2, "
                     "\"first_not_stored\": {\"row\": 3, \"id\": \"M-2\"}}, \"results\": "),
              "%s", s_out);
    cr_expect_str_eq(s_err, "mvoictl: impact nam de sleutel van deze verbinding midden in de "
                     "import niet meer aan (ingetrokken): 1 rij(en) opgeslagen of al aanwezig, "
                     "2 niet opgeslagen, de eerste daarvan rij 3 (M-2). Importeer hetzelfde "
                     "bestand opnieuw met een geldige sleutel: wat al is opgeslagen komt terug "
                     "als ongewijzigd, niets wordt twee keer opgeslagen\n");
}

/* A calendar whose store fails after the first command answers the rest ERR_UNAVAILABLE
 * ("storage failure ... retry", server.c): those rows are unconfirmed, and the import is
 * not a success: 69, as for a calendar that fell silent and as `measure import` does.
 * Before: exit 0 under "2 rij(en) onbevestigd". */
Test(mvoictl_import_key, tender_import_with_unconfirmed_rows_is_not_success)
{
    const char *p = s_file("u.csv", "Kenmerk;Titel;Soort;Status;Geraamde waarde (excl. btw);"
                                    "Geplande publicatiedatum\n"
                                    "U-A;Dak;werken;gepland;10000;1-3-2027\n"
                                    "U-B;Weg;werken;gepland;20000;1-3-2027\n"
                                    "U-C;Brug;werken;gepland;30000;1-3-2027\n");
    char args[512];
    snprintf(args, sizeof args, "tender import --window 4 %s", p);
    s_storage_failed = true;
    int rc = s_ctl(1, args);
    s_storage_failed = false;
    cr_expect_eq(rc, 69, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "U-A,");
    /* answered "unavailable", not "geen antwoord op tijd" (it was, in time) */
    cr_expect_str_eq(s_out, "3 rij(en): 1 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt\n"
                     "2 rij(en) onbevestigd: verstuurd, de dienst antwoordde 'niet beschikbaar' "
                     "(de reden staat bij elke rij); misschien wel, misschien niet vastgelegd "
                     "(importeer het bestand opnieuw om het te weten)\n");
    cr_expect(strstr(s_err, "onbevestigd: rij 3 U-B: opslagfout; er is niets gewijzigd"), "%s",
              s_err);
    /* measure import, in English: the same account of the same answers */
    const char *m = s_file("um.csv",
        "id;tender;period_start;period_end;submitter;kind;carrier;reference;quantity\n"
        "V-1;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n"
        "V-2;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;500\n");
    snprintf(args, sizeof args, "--lang en measure import --per 1 %s", m);
    s_storage_failed = true;
    rc = s_ctl(1, args);
    s_storage_failed = false;
    cr_expect_eq(rc, 69, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "V-1,");
    cr_expect_str_eq(s_out, "2 row(s): 1 stored, 0 unchanged (already there), 0 refused\n"
                     "1 row(s) unconfirmed: sent, the service answered 'unavailable' (the reason "
                     "is given with each row); they may or may not be stored (import the file "
                     "again to find out)\n");
}

/* measure import whose impact-calculator falls silent after the first request (--window 1:
 * row 3 sent and not answered, row 4 never sent): --json's results name both, row 3
 * "unconfirmed" (stored or not, unknown), row 4 "refused" (not sent: not stored), and the
 * counts add up to the rows. Exit 69. Before: "results" held row 2 alone and the two others
 * were only counted ("unconfirmed": 2). The 400 ms of silence are the test's cost; less
 * would risk the first answer itself arriving late on a loaded machine. */
Test(mvoictl_import_key, measure_import_lists_the_rows_a_silent_service_left)
{
    const char *p = s_file("s.csv",
        "id;tender;period_start;period_end;submitter;kind;carrier;reference;quantity\n"
        "S-1;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n"
        "S-2;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;500\n"
        "S-3;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;700\n");
    char args[512];
    snprintf(args, sizeof args, "--timeout 400 --json measure import --per 1 --window 1 %s", p);
    s_silent = true;
    int rc = s_ctl(1, args);
    cr_expect_eq(rc, 69, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "S-1,");
    cr_expect_str_eq(s_out, "{\"dry_run\": false, \"rows\": 3, \"created\": 1, \"unchanged\": 0, "
                     "\"unconfirmed\": 1, \"failed\": 1, \"results\": [{\"row\": 2, \"id\": \"S-1\", "
                     "\"outcome\": \"created\"}, {\"row\": 3, \"id\": \"S-2\", \"outcome\": "
                     "\"unconfirmed\", \"field\": \"\", \"message\": \"geen antwoord van de dienst\"}, "
                     "{\"row\": 4, \"id\": \"S-3\", \"outcome\": \"refused\", \"field\": \"\", "
                     "\"message\": \"niet verstuurd: de dienst antwoordde niet meer\"}]}\n");
    s_silent = false;
}

/* measure import of a UTF-16 sheet that lost its byte order mark: refused once by name
 * (65, nothing sent), not "stuurteken 0x00" at every cell as Windows-1252; tender import of
 * an OCDS feed in Windows-1252: the byte and its place from the catalogue (`{"releases":
 * [{"ocid": "caf` is 27 bytes: offset 27, character 28). Nothing runs but mvoictl. */
Test(mvoictl_import_key, import_names_a_file_in_another_encoding)
{
    static const char le[] = "i\0d\0;\0t\0e\0n\0d\0e\0r\0\n\0M\0-\0""1\0;\0T\0-\0A\0\n\0";
    char path[256], args[512];
    snprintf(path, sizeof path, "%s/u16.csv", s_dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fwrite(le, 1, sizeof le - 1, f);
    fclose(f);
    snprintf(args, sizeof args, "measure import %s", path);
    cr_expect_eq(s_ctl(1, args), 65, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "");
    cr_expect(strncmp(s_err, "1;;;UTF-16 zonder byte order mark: sla op als UTF-8 of UTF-16 "
                      "met BOM\n", 68) == 0, "%s", s_err);
    cr_expect(strstr(s_err, "0x00") == NULL, "%s", s_err);
    /* an OCDS feed in Windows-1252: the catalogue's Dutch, not jansson's English */
    const char *j = s_file("w.json", "{\"releases\": [{\"ocid\": \"caf\xE9\"}]}\n");
    snprintf(args, sizeof args, "tender import %s", j);
    cr_expect_eq(s_ctl(1, args), 65, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "");
    cr_expect(strstr(s_err, "w.json: geen UTF-8: byte 0xE9 op positie 27 (regel 1, teken 28): "
                     "sla het bestand op als UTF-8\n"), "%s", s_err);
}

/* The rows an earlier run's stored reply refused are sent again on a new connection; the
 * service refuses that connection's key at the handshake. What the first pass stored is
 * said as for a key revoked mid-import: 77, the summary, the count stored and the first
 * row not stored. Before: 77 and the handshake line alone, the stored row unreported. */
Test(mvoictl_import_key, a_key_refused_at_the_second_pass_says_what_was_stored)
{
    const char *p = s_file("a.csv", "Kenmerk;Titel;Soort;Status;Geraamde waarde (excl. btw);"
                                    "Geplande publicatiedatum\n"
                                    "A-A;Dak;werken;gepland;10000;1-3-2027\n"
                                    "A-B;Weg;werken;gepland;20000;1-3-2027\n");
    char args[512];
    snprintf(args, sizeof args, "tender import --window 4 %s", p);
    s_curve = s_stale = true;
    int rc = s_ctl(1, args);
    cr_expect_eq(rc, 77, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "A-A,");
    cr_expect_str_eq(s_out, "2 rij(en): 1 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 1 mislukt\n");
    cr_expect(strstr(s_err, "(status 400)"), "%s", s_err);
    cr_expect(strstr(s_err, "mvoictl: calendar nam de sleutel van deze verbinding midden in de "
                     "import niet meer aan (ingetrokken): 1 rij(en) opgeslagen of al aanwezig, "
                     "1 niet opgeslagen, de eerste daarvan rij 3 (A-B)."), "%s", s_err);
    const char *m = s_file("am.csv",
        "id;tender;period_start;period_end;submitter;kind;carrier;reference;quantity\n"
        "W-1;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n"
        "W-2;T-A;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;500\n");
    snprintf(args, sizeof args, "--json measure import --per 1 --window 1 %s", m);
    s_zap_closed = 0;
    rc = s_ctl(1, args);
    s_curve = s_stale = false;
    cr_expect_eq(rc, 77, "out: %s\nerr: %s", s_out, s_err);
    cr_expect_str_eq(s_stored, "W-1,");
    cr_expect(strstr(s_out, "\"rows\": 2, \"created\": 1, \"unchanged\": 0, \"failed\": 1, "
                     "\"key_refused\": {\"stored\": 1, \"not_stored\": 1, "
                     "\"first_not_stored\": {\"row\": 3, \"id\": \"W-2\"}}"), "%s", s_out);
    cr_expect(strstr(s_err, "mvoictl: impact nam de sleutel"), "%s", s_err);
}
