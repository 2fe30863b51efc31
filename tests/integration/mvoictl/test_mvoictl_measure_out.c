/*  mvoictl measure list / show / whatif / correct / withdraw / factors as an adviser reads
 *  them, against the real calendar and impact-calculator. They printed English words
 *  ("realisation", "rev", "by", "calculation", "history", "(4 of 359)") around Dutch
 *  figures, and the calculation text of the service grouped thousands with a space
 *  ("6 610 kg", "14 720,47 kg") under an impact line with a dot ("14.720,470 kg"). Now:
 *  Dutch throughout by default, English with --lang en, one grouping per language, dates in
 *  words as tender list prints them; --raw keeps its layout.
 *
 *  The figures, by hand (factors of the shipped 2026 CO2 table: cng 2,831, bio_cng 0,604,
 *  diesel_b7 3,251, hvo100 0,468 kg CO2-eq per unit):
 *    heerlen m-1: 6 610 kg bio-CNG instead of CNG: 6 610 × (2,831 − 0,604) = 6 610 × 2,227
 *                 = 13 220 + 1 500,47 = 14 720,47 kg (6 610 × 0,227 = 1 500,47);
 *    corrected to 6 611 kg: 14 720,47 + 2,227 = 14 722,697 kg;
 *    venlo m-1 (the same id): 1 000 l HVO100 instead of diesel B7: 1 000 × (3,251 − 0,468)
 *                 = 1 000 × 2,783 = 2 783 kg.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

static e2e_fleet_t F;
static char s_out[1 << 16], s_err[1 << 14];

/* mvoictl [--lang LANG] --buyer BUYER ARGS; stdout in s_out, stderr in s_err. */
static int s_ctl(const char *lang, const char *buyer, const char *const *args)
{
    char bin[512], po[256], pe[256];
    h_bin(bin, sizeof bin, "services/mvoictl/mvoictl");
    snprintf(po, sizeof po, "%s/ctl.out", F.dir);
    snprintf(pe, sizeof pe, "%s/ctl.err", F.dir);
    const char *argv[40] = { bin, "--buyer", buyer };
    int n = 3;
    if (lang) {
        argv[n++] = "--lang";
        argv[n++] = lang;
    }
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(po, "w", stdout) || !freopen(pe, "w", stderr))
            _exit(126);
        unsetenv("MVOI_BUYER");
        unsetenv("MVOI_LANG");
        setenv("MVOI_CALENDAR_API", F.capi, 1);
        setenv("MVOI_IMPACT_API", F.iapi, 1);
        setenv("MVOI_KPI_API", F.kapi, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    h_proc_t p = { .pid = pid };
    int st = 0;
    cr_assert_eq(h_wait(&p, 30000, &st), 0, "mvoictl hangs");
    const char *paths[2] = { po, pe };
    char *bufs[2] = { s_out, s_err };
    size_t caps[2] = { sizeof s_out, sizeof s_err };
    for (int i = 0; i < 2; i++) {
        FILE *fp = fopen(paths[i], "r");
        size_t got = fp ? fread(bufs[i], 1, caps[i] - 1, fp) : 0;
        bufs[i][got] = 0;
        if (fp)
            fclose(fp);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define S_OK(lang, buyer, ...)                                                                \
    do {                                                                                      \
        const char *const a_[] = { __VA_ARGS__, NULL };                                       \
        int rc_ = s_ctl(lang, buyer, a_);                                                     \
        cr_assert_eq(rc_, 0, "%s: exit %d: %s%s", a_[0], rc_, s_out, s_err);                  \
    } while (0)

static void s_up(void)
{
    e2e_fleet_init(&F, true);
    cr_assert_eq(e2e_fleet_up(&F, 15000), 0, "services did not come up (logs in %s)", F.dir);
    S_OK(NULL, "heerlen", "tender", "add", "--id", "T-1", "--title", "Brandstof wagenpark",
         "--kind", "leveringen", "--publication", "2025-01-06", "--group", "Facilitair");
    S_OK(NULL, "venlo", "tender", "add", "--id", "T-1", "--title", "Vrachtwagens", "--kind",
         "leveringen", "--publication", "2025-02-03", "--group", "GWW");
    cr_assert_eq(e2e_wait_impact_knows_calendar(&F, 15000), 0, "impact does not know T-1");
    S_OK(NULL, "heerlen", "measure", "add", "--id", "m-1", "--tender", "T-1", "--period",
         "2025-01-01..2025-03-31", "--kind", "energy", "--carrier", "bio_cng", "--reference",
         "cng", "--quantity", "6610", "--submitter", "Leverancier Heerlen");
    S_OK(NULL, "venlo", "measure", "add", "--id", "m-1", "--tender", "T-1", "--period",
         "2025-04-01..2025-06-30", "--kind", "energy", "--carrier", "hvo100", "--reference",
         "diesel_b7", "--quantity", "1000", "--submitter", "Transport Venlo");
}

static void s_down(void) { e2e_fleet_fini(&F, false); }

TestSuite(mvoictl_measure_out, .init = s_up, .fini = s_down, .timeout = 120);

/* The widest line of text, in characters (a "€" or "−" is one). */
static size_t s_widest(const char *text)
{
    size_t widest = 0, w = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            widest = w > widest ? w : widest;
            w = 0;
        } else {
            w += (*p & 0xC0) != 0x80;
        }
    }
    return w > widest ? w : widest;
}

Test(mvoictl_measure_out, show_in_dutch_by_default)
{
    S_OK(NULL, "heerlen", "measure", "show", "m-1");
    cr_expect_str_eq(s_out,
        "meting           m-1\n"
        "revisie          1\n"
        "inkooptraject    T-1 (inkoopgroep Facilitair)\n"
        "fase             realisatie\n"
        "periode          1 januari 2025 t/m 31 maart 2025\n"
        "ingediend door   Leverancier Heerlen\n"
        "impact           CO2 14.720,47 kg [co2 2026 cng]\n"
        "berekening       6.610 kg bio_cng in plaats van cng: 6.610 kg × (2,831 − 0,604) kg "
        "CO2-eq/kg = 14.720,47 kg CO2-eq\n"
        "                 — CO2emissiefactoren.nl 2026 (tabel co2, editie 2026: cng)\n");
}

Test(mvoictl_measure_out, show_in_english)
{
    S_OK("en", "heerlen", "measure", "show", "m-1");
    cr_expect_str_eq(s_out,
        "measurement      m-1\n"
        "revision         1\n"
        "tender           T-1 (purchasing group Facilitair)\n"
        "phase            realisation\n"
        "period           1 January 2025 to 31 March 2025\n"
        "submitted by     Leverancier Heerlen\n"
        "impact           CO2 14,720.47 kg [co2 2026 cng]\n"
        "calculation      6,610 kg bio_cng instead of cng: 6,610 kg × (2.831 − 0.604) kg "
        "CO2-eq/kg = 14,720.47 kg CO2-eq\n"
        "                 — CO2emissiefactoren.nl 2026 (table co2, edition 2026: cng)\n");
}

/* venlo's m-1 is venlo's own: its figures, its group, its period. */
Test(mvoictl_measure_out, the_same_id_of_another_buyer_is_its_own)
{
    S_OK(NULL, "venlo", "measure", "show", "m-1");
    cr_expect_str_eq(s_out,
        "meting           m-1\n"
        "revisie          1\n"
        "inkooptraject    T-1 (inkoopgroep GWW)\n"
        "fase             realisatie\n"
        "periode          1 april 2025 t/m 30 juni 2025\n"
        "ingediend door   Transport Venlo\n"
        "impact           CO2 2.783 kg [co2 2026 diesel_b7]\n"
        "berekening       1.000 l hvo100 in plaats van diesel_b7: 1.000 l × (3,251 − 0,468) kg "
        "CO2-eq/l = 2.783 kg CO2-eq\n"
        "                 — CO2emissiefactoren.nl 2026 (tabel co2, editie 2026: diesel_b7)\n");
    S_OK(NULL, "venlo", "measure", "list");
    cr_expect_str_eq(s_out,
        "ID                   INKOOPTRAJECT  FASE        PERIODE                                "
        "REVISIE  IMPACT\n"
        "m-1                  T-1            realisatie  1 april 2025 t/m 30 juni 2025          "
        "1        CO2 2.783 kg\n"
        "(1 van 1)\n");
}

Test(mvoictl_measure_out, list_in_both_languages_with_a_header)
{
    S_OK(NULL, "heerlen", "measure", "list");
    cr_expect_str_eq(s_out,
        "ID                   INKOOPTRAJECT  FASE        PERIODE                                "
        "REVISIE  IMPACT\n"
        "m-1                  T-1            realisatie  1 januari 2025 t/m 31 maart 2025       "
        "1        CO2 14.720,47 kg\n"
        "(1 van 1)\n");
    S_OK("en", "heerlen", "measure", "list", "T-1");
    cr_expect_str_eq(s_out,
        "ID                   TENDER         PHASE       PERIOD                                 "
        "REVISION IMPACT\n"
        "m-1                  T-1            realisation 1 January 2025 to 31 March 2025        "
        "1        CO2 14,720.47 kg\n"
        "(1 of 1)\n");
    /* --raw: the layout scripts read, the stored integers */
    S_OK(NULL, "heerlen", "--raw", "measure", "list");
    cr_expect_str_eq(s_out,
        "m-1                      T-1            realisation 2025-01-01..2025-03-31 rev 1 "
        "CO2 14720470 g [co2 2026 cng]\n"
        "(1 of 1)\n");
}

/* No line wider than tender list's (whose rows are 121 characters before the title). */
Test(mvoictl_measure_out, fits_beside_tender_list)
{
    S_OK(NULL, "heerlen", "tender", "list");
    size_t tender = s_widest(s_out);
    cr_assert_geq(tender, 121, "%s", s_out);
    const char *const views[][4] = { { "measure", "list", NULL }, { "measure", "show", "m-1", NULL },
                                     { "measure", "factors", NULL } };
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        for (int en = 0; en < 2; en++) {
            cr_assert_eq(s_ctl(en ? "en" : NULL, "heerlen", views[i]), 0, "%s", s_err);
            /* factors: the sources are the tables' own long texts, after the columns */
            size_t w = s_widest(s_out);
            if (i < 2)
                cr_expect_leq(w, tender, "%s %s: %zu > %zu:\n%s", views[i][1],
                              en ? "en" : "nl", w, tender, s_out);
        }
    }
}

Test(mvoictl_measure_out, whatif_in_both_languages)
{
    S_OK(NULL, "heerlen", "measure", "whatif", "--id", "w-1", "--tender", "T-1", "--period",
         "2025-01-01..2025-03-31", "--kind", "energy", "--carrier", "bio_cng", "--reference",
         "cng", "--quantity", "6610");
    cr_expect_str_eq(s_out,
        "w-1 CO2 14.720,47 kg [co2 2026 cng]\n"
        "  berekening: 6.610 kg bio_cng in plaats van cng: 6.610 kg × (2,831 − 0,604) kg "
        "CO2-eq/kg = 14.720,47 kg CO2-eq — CO2emissiefactoren.nl 2026 (tabel co2, editie 2026: "
        "cng)\n");
    S_OK("en", "heerlen", "measure", "whatif", "--id", "w-1", "--tender", "T-1", "--period",
         "2025-01-01..2025-03-31", "--kind", "energy", "--carrier", "bio_cng", "--reference",
         "cng", "--quantity", "6610");
    cr_expect_str_eq(s_out,
        "w-1 CO2 14,720.47 kg [co2 2026 cng]\n"
        "  calculation: 6,610 kg bio_cng instead of cng: 6,610 kg × (2.831 − 0.604) kg "
        "CO2-eq/kg = 14,720.47 kg CO2-eq — CO2emissiefactoren.nl 2026 (table co2, edition 2026: "
        "cng)\n");
}

/* A correction and a withdrawal: the replies and the history in Dutch and in English. */
Test(mvoictl_measure_out, correct_withdraw_and_history)
{
    S_OK(NULL, "heerlen", "measure", "correct", "--id", "m-1", "--reason", "meterstand",
         "--tender", "T-1", "--period", "2025-01-01..2025-03-31", "--kind", "energy",
         "--carrier", "bio_cng", "--reference", "cng", "--quantity", "6611", "--submitter",
         "Adviseur");
    cr_expect_str_eq(s_out, "m-1 revisie 2 CO2 14.722,697 kg [co2 2026 cng]\n");
    S_OK(NULL, "heerlen", "measure", "withdraw", "--id", "m-1", "--reason", "dubbel",
         "--submitter", "Adviseur");
    cr_expect_str_eq(s_out, "m-1 revisie 3\n");
    S_OK(NULL, "heerlen", "measure", "show", "m-1");
    cr_expect_str_eq(s_out,
        "meting           m-1\n"
        "revisie          3, ingetrokken\n"
        "inkooptraject    T-1 (inkoopgroep Facilitair)\n"
        "fase             realisatie\n"
        "periode          1 januari 2025 t/m 31 maart 2025\n"
        "ingediend door   Adviseur\n"
        "reden            dubbel\n"
        "berekening       ingetrokken bij revisie 3: dubbel\n"
        "eerdere revisies revisie 1 door Leverancier Heerlen\n"
        "                 revisie 2 door Adviseur: meterstand\n");
    S_OK("en", "heerlen", "measure", "show", "m-1");
    cr_expect_str_eq(s_out,
        "measurement      m-1\n"
        "revision         3, withdrawn\n"
        "tender           T-1 (purchasing group Facilitair)\n"
        "phase            realisation\n"
        "period           1 January 2025 to 31 March 2025\n"
        "submitted by     Adviseur\n"
        "reason           dubbel\n"
        "calculation      withdrawn at revision 3: dubbel\n"
        "history          revision 1 by Leverancier Heerlen\n"
        "                 revision 2 by Adviseur: meterstand\n");
    S_OK(NULL, "heerlen", "measure", "list");
    cr_expect(strstr(s_out, "\nm-1                  T-1            realisatie  1 januari 2025 "
                            "t/m 31 maart 2025       3        ingetrokken\n"), "%s", s_out);
    /* venlo's m-1 is untouched */
    S_OK(NULL, "venlo", "measure", "show", "m-1");
    cr_expect(strstr(s_out, "revisie          1\n") && strstr(s_out, "CO2 2.783 kg"), "%s",
              s_out);
}

Test(mvoictl_measure_out, factors_with_a_header)
{
    S_OK(NULL, "heerlen", "measure", "factors");
    static const char nl[] = "TABEL              EDITIE     RIJEN  NIET GEVERIFIEERD  BRON\n";
    cr_expect(!strncmp(s_out, nl, strlen(nl)), "%s", s_out);
    cr_expect(strstr(s_out, "\nco2                2026          18                  0  "), "%s",
              s_out);
    S_OK("en", "heerlen", "measure", "factors");
    static const char en[] = "TABLE              EDITION    ROWS  UNVERIFIED  SOURCE\n";
    cr_expect(!strncmp(s_out, en, strlen(en)), "%s", s_out);
    cr_expect(strstr(s_out, "\nco2                2026         18           0  "), "%s", s_out);
}

/* The wire: GetMeasurement without lang explains in Dutch (clients that do not know the
 * field: the dashboard, older mvoictl); a language the catalogue lacks is refused by name,
 * for GetMeasurement and compute_impact alike, never answered in a guessed language. */
static Mvoi__Envelope *s_get(const char *lang)
{
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = "m-1";
    g.lang = (char *)lang;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    e.get_measurement = &g;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(F.iapi, &e, &r, 10000), 0, "no reply");
    return r;
}

Test(mvoictl_measure_out, the_language_on_the_wire)
{
    Mvoi__Envelope *r = s_get(NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    cr_expect(strstr(r->measurement_record->explanation, "= 14.720,47 kg CO2-eq — "), "%s",
              r->measurement_record->explanation);
    mvoi__envelope__free_unpacked(r, NULL);
    r = s_get("de");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(r->error->field, "get_measurement.lang");
    mvoi__envelope__free_unpacked(r, NULL);

    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT;
    Mvoi__EnergyUse en = MVOI__ENERGY_USE__INIT;
    m.id = "w-2";
    m.tender_id = "T-1";
    m.has_phase = 1;
    m.phase = MVOI__PHASE__PHASE_REALISATION;
    m.period_start = "2025-01-01";
    m.period_end = "2025-03-31";
    m.submitter = "test";
    en.has_carrier = en.has_quantity_milli = 1;
    en.carrier = MVOI__CARRIER__CARRIER_HVO100;
    en.quantity_milli = 1000000;
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &en;
    Mvoi__Measurement *mp = &m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    sm.lang = "fr";
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_COMPUTE_IMPACT;
    e.compute_impact = &sm;
    cr_assert_eq(h_request(F.iapi, &e, &r, 10000), 0, "no reply");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_str_eq(r->error->field, "compute_impact.lang");
    mvoi__envelope__free_unpacked(r, NULL);
}
