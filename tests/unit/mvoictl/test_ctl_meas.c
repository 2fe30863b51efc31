/*  mvoictl measurement fields (cmd_measure_fields.c): every flag lands in its .proto field
 *  with its exact value; bad values and unknown names are refused by name. The expected
 *  values are worked out by hand from the flag text ("1,5" kg = 1500 g). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cmd_measure.h"

static ctl_meas_t x;

static void s_set(const char *k, const char *v)
{
    cr_assert_eq(ctl_meas_set(&x, k, v), 0, "%s=%s: %s", k, v, x.err);
}

static void s_setup(void) { ctl_meas_init(&x); }
static void s_teardown(void) { ctl_meas_fini(&x); }

TestSuite(ctl_meas, .init = s_setup, .fini = s_teardown);

Test(ctl_meas, measurement_fields)
{
    s_set("id", "m-1");
    s_set("tender", "T-1");
    s_set("buyer", "heerlen");
    s_set("phase", "ambition");
    s_set("period", "2026-01-01..2026-03-31");
    s_set("submitter", "an");
    s_set("edition", "2026a");
    s_set("reason", "typo");
    cr_assert_str_eq(x.m.id, "m-1");
    cr_assert_str_eq(x.m.tender_id, "T-1");
    cr_assert_str_eq(x.m.buyer, "heerlen");
    cr_assert(x.m.has_phase);
    cr_assert_eq(x.m.phase, MVOI__PHASE__PHASE_AMBITION);
    cr_assert_str_eq(x.m.period_start, "2026-01-01");
    cr_assert_str_eq(x.m.period_end, "2026-03-31");
    cr_assert_str_eq(x.m.submitter, "an");
    cr_assert_str_eq(x.m.edition, "2026a");
    cr_assert_str_eq(x.m.reason, "typo");
    s_set("tender_id", "T-2");   /* the CSV column's name */
    cr_assert_str_eq(x.m.tender_id, "T-2");
    s_set("phase", "PHASE_REALISATION");
    cr_assert_eq(x.m.phase, MVOI__PHASE__PHASE_REALISATION);
}

Test(ctl_meas, energy_and_machine)
{
    s_set("kind", "energy");
    cr_assert_eq(x.m.kind_case, MVOI__MEASUREMENT__KIND_ENERGY);
    cr_assert_eq(x.m.energy, &x.e);
    s_set("carrier", "hvo100");
    s_set("reference", "diesel_b7");
    s_set("quantity", "1234,5");
    s_set("grid_year", "2026");
    cr_assert(x.e.has_carrier && x.e.has_reference_carrier);
    cr_assert_eq(x.e.carrier, MVOI__CARRIER__CARRIER_HVO100);
    cr_assert_eq(x.e.reference_carrier, MVOI__CARRIER__CARRIER_DIESEL_B7);
    cr_assert(x.e.has_quantity_milli);
    cr_assert_eq(x.e.quantity_milli, 1234500);
    cr_assert_eq(x.e.grid_year, 2026);
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    s_set("kind", "machine");
    cr_assert_eq(x.m.kind_case, MVOI__MEASUREMENT__KIND_MACHINE);
    cr_assert_eq(x.m.machine, &x.mu);
    s_set("power", "150");
    s_set("stage", "v");
    s_set("stage_required", "iiib");
    s_set("hours", "10.25");
    s_set("load", "0.4");
    s_set("kwh", "12");
    s_set("machine", "graafmachine");
    cr_assert_eq(x.mu.power_kw, 150);
    cr_assert_eq(x.mu.stage_actual, MVOI__EMISSION_STAGE__STAGE_V);
    cr_assert_eq(x.mu.stage_required, MVOI__EMISSION_STAGE__STAGE_IIIB);
    cr_assert_eq(x.mu.hours_milli, 10250);
    cr_assert_eq(x.mu.load_factor_permille, 400);
    cr_assert(x.mu.has_metered_kwh_milli);
    cr_assert_eq(x.mu.metered_kwh_milli, 12000);
    cr_assert(!x.r.has_kwh_milli);
    cr_assert_str_eq(x.mu.machine, "graafmachine");
}

Test(ctl_meas, road_kwh_goes_to_the_road_message)
{
    s_set("kind", "road");
    cr_assert_eq(x.m.kind_case, MVOI__MEASUREMENT__KIND_ROAD);
    s_set("vehicle", "heavy_duty");
    s_set("euro", "euro_vi");
    s_set("euro_required", "euro6");
    s_set("km", "100,5");
    s_set("kwh", "7");
    cr_assert_str_eq(x.r.vehicle_class, "heavy_duty");
    cr_assert_str_eq(x.r.euro_class_actual, "euro_vi");
    cr_assert_str_eq(x.r.euro_class_required, "euro6");
    cr_assert_eq(x.r.km_milli, 100500);
    cr_assert(x.r.has_kwh_milli);
    cr_assert_eq(x.r.kwh_milli, 7000);
    cr_assert(!x.mu.has_metered_kwh_milli);
}

Test(ctl_meas, material_social_fairtrade_mki_pilot)
{
    s_set("kind", "material");
    s_set("mass", "1,5");
    s_set("strategy", "r3");
    s_set("sharing", "2");
    s_set("renewable", "ja");
    s_set("material", "hout");
    cr_assert_eq(x.m.kind_case, MVOI__MEASUREMENT__KIND_MATERIAL);
    cr_assert_eq(x.mat.mass_g, 1500);
    cr_assert_eq(x.mat.strategy, MVOI__RSTRATEGY__R3_REUSE);
    cr_assert_eq(x.mat.sharing_factor_milli, 2000);
    cr_assert(x.mat.has_renewable && x.mat.renewable);
    cr_assert_str_eq(x.mat.material, "hout");
    s_set("target_group", "participatiewet");
    s_set("fte_months", "12");
    s_set("social_hours", "0,5");
    s_set("invoices", "1000,50");
    s_set("bonus50", "no");
    cr_assert_str_eq(x.s.target_group, "participatiewet");
    cr_assert_eq(x.s.fte_months_milli, 12000);
    cr_assert_eq(x.s.social_project_hours_milli, 500);
    cr_assert_eq(x.s.social_enterprise_cents, 100050);
    cr_assert(x.s.has_bonus_50plus && !x.s.bonus_50plus);
    s_set("category", "koffie");
    s_set("products", "40");
    s_set("fair", "30");
    cr_assert_str_eq(x.ft.category, "koffie");
    cr_assert(x.ft.has_products_total && x.ft.has_products_fair);
    cr_assert_eq(x.ft.products_total, 40);
    cr_assert_eq(x.ft.products_fair, 30);
    s_set("mki_reference", "250");
    s_set("mki_offered", "199.99");
    cr_assert_eq(x.k.reference_mki_cents, 25000);
    cr_assert_eq(x.k.offered_mki_cents, 19999);
    s_set("theme", "klimaat");
    s_set("status", "lopend");
    cr_assert(x.p.has_theme);
    cr_assert_eq(x.p.theme, MVOI__THEME__THEME_KLIMAAT);
    cr_assert_str_eq(x.p.status, "lopend");
    s_set("kind", "pilot");
    cr_assert_eq(x.m.kind_case, MVOI__MEASUREMENT__KIND_PILOT);
    cr_assert_eq(x.m.pilot, &x.p);
}

Test(ctl_meas, bad_values_and_names_are_refused_by_name)
{
    const struct { const char *k, *v, *err; } bad[] = {
        { "kind", "boat", "kind: 'boat' is not a valid value" },
        { "kind", "id", "kind: 'id' is not a valid value" },   /* a field, not a kind */
        { "phase", "later", "phase: 'later' is not a valid value" },
        { "stage", "stage", "stage: 'stage' is not a valid value" },
        { "strategy", "r12", "strategy: 'r12' is not a valid value" },
        { "mass", "1,0005", "mass: '1,0005': more than 3 decimals" },
        { "quantity", "1.2.3", "quantity: '1.2.3': '.' is not between groups of three digits" },
        { "period", "2026-01-01", "period: '2026-01-01' is not a valid value" },
        { "colour", "red", "unknown field 'colour'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ctl_meas_set(&x, bad[i].k, bad[i].v), -EINVAL, "%s", bad[i].k);
        cr_assert_str_eq(x.err, bad[i].err);
    }
    cr_assert_eq(x.m.kind_case, MVOI__MEASUREMENT__KIND__NOT_SET);
    cr_assert_eq(ctl_meas_set(&x, "colour", ""), 0);   /* empty values are ignored */
}

Test(ctl_meas, flags_and_columns)
{
    const struct option *o = ctl_meas_options();
    size_t n = 0, json = 0;
    for (; o[n].name; n++) {
        json += o[n].val == 'J';
        cr_assert(o[n].val == 'J' || ctl_meas_known(o[n].name), "%s", o[n].name);
    }
    /* 40 field flags (kwh once) + period + kind + json; CSV-only: tender_id, buyer */
    cr_assert_eq(n, 43);
    cr_assert_eq(json, 1);
    cr_assert(ctl_meas_known("tender_id") && ctl_meas_known("buyer"));
    cr_assert(!ctl_meas_known("json") && !ctl_meas_known("colour"));
}

/* Numbers under the tender import's separator rules (csv_import.h), exactly. Each expected
 * value is the figure read by hand times its unit's scale: "10.000" litres is ten thousand
 * litres = 10 000 x 1000 milli; "12.500" euros = 12 500 x 100 cents. */
Test(ctl_meas, numbers_follow_the_tender_import_separators)
{
    s_set("kind", "energy");
    const struct { const char *k, *v; int64_t want; } ok[] = {
        { "quantity", "10.000", 10000LL * 1000 },        /* Dutch thousands, not 10 */
        { "quantity", "10000", 10000LL * 1000 },
        { "quantity", "2,5", 2500 },
        { "quantity", "1.234,5", 1234LL * 1000 + 500 },
        { "quantity", "1,234.5", 1234LL * 1000 + 500 },   /* both: the last one is decimal */
        { "quantity", "1 234,5", 1234LL * 1000 + 500 },
        { "quantity", "1.234.567", 1234567LL * 1000 },
        { "quantity", "0,500", 500 },                     /* a leading 0 is never a group */
        { "quantity", "0.4", 400 },
        { "quantity", "1234,567", 1234567 },              /* 4 digits before: decimal */
        { "quantity", "2,5000", 2500 },                   /* extra decimals that are 0 */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        s_set(ok[i].k, ok[i].v);
        cr_assert_eq(x.e.quantity_milli, ok[i].want, "%s: %lld", ok[i].v,
                     (long long)x.e.quantity_milli);
    }
    s_set("grid_year", "2.025");   /* '.' before three digits: thousands, 2025 */
    cr_assert_eq(x.e.grid_year, 2025);
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    s_set("kind", "social");
    s_set("invoices", "12.500");
    cr_assert_eq(x.s.social_enterprise_cents, 12500LL * 100);   /* not EUR 12,50 */
    s_set("invoices", "12.500,25");
    cr_assert_eq(x.s.social_enterprise_cents, 12500LL * 100 + 25);
    s_set("kind", "material");
    s_set("mass", "1.500");
    cr_assert_eq(x.mat.mass_g, 1500LL * 1000);                  /* 1500 kg, not 1,5 kg */
}

Test(ctl_meas, ambiguous_inexact_and_out_of_range_numbers_are_refused)
{
    const struct { const char *k, *v, *err; } bad[] = {
        { "quantity", "1,500", "quantity: '1,500': ambiguous: ',' before three digits is a "
          "thousands separator or a decimal comma; write it without separator (1500) or with "
          "'.' for thousands (1.500), or 1,5 for the decimal" },
        { "invoices", "12,345", NULL },
        { "invoices", "12,345.6", NULL },   /* fine: both separators */
        { "invoices", "0,125", "invoices: '0,125': more than 2 decimals" },
        { "products", "1,5", "products: '1,5': not a whole number" },
        { "products", "4294967396", "products: '4294967396': must be between 0 and 4294967295" },
        { "fair", "-1", "fair: '-1': must be between 0 and 4294967295" },
        { "power", "4294967446", "power: '4294967446': must be between 0 and 4294967295" },
        { "grid_year", "4294969321", "grid_year: '4294969321': must be between 0 and 4294967295" },
        { "load", "4294967,296", "load: '4294967,296': must be between 0 and 4294967,295" },
        { "quantity", "9223372036854775808", "quantity: '9223372036854775808': too large" },
        { "quantity", "1.23.4", "quantity: '1.23.4': '.' is not between groups of three digits" },
        { "quantity", "1,2,3.4,5", "quantity: '1,2,3.4,5': not a number: more than one decimal separator" },
        { "quantity", "12kg", "quantity: '12kg': not a number (digits, '.' or ',')" },
        { "quantity", "01.234", "quantity: '01.234': a number that starts with 0 has no thousands "
          "separator" },
        { "quantity", "0.250.000", "quantity: '0.250.000': a number that starts with 0 has no "
          "thousands separator" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ctl_meas_set(&x, bad[i].k, bad[i].v);
        if (!strcmp(bad[i].v, "12,345.6")) {
            cr_assert_eq(rc, 0, "%s", x.err);
            cr_assert_eq(x.s.social_enterprise_cents, 1234560);
            continue;
        }
        cr_assert_eq(rc, -EINVAL, "%s=%s", bad[i].k, bad[i].v);
        if (bad[i].err)
            cr_assert_str_eq(x.err, bad[i].err);
    }
    /* a refused value leaves the field unset: nothing wrapped, nothing half-stored */
    cr_assert(!x.ft.has_products_total && !x.ft.has_products_fair && !x.mu.has_power_kw);
    cr_assert(!x.e.has_grid_year && !x.e.has_quantity_milli);
    s_set("products", "4294967295");   /* the largest: accepted as is */
    cr_assert_eq(x.ft.products_total, 4294967295u);
}

/* Yes/no: the tender import's words (csv_parse_bool); any other word is refused, not "no". */
Test(ctl_meas, yes_no_fields_take_the_tender_import_words)
{
    const struct { const char *v; bool want; } ok[] = {
        { "ja", true }, { "x", true }, { "j", true }, { "Y", true }, { "waar", true },
        { "1", true }, { "nee", false }, { "n", false }, { "onwaar", false }, { "-", false },
        { "0", false }, { "false", false },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        x.s.bonus_50plus = !ok[i].want;
        s_set("bonus50", ok[i].v);
        cr_assert_eq(!!x.s.bonus_50plus, ok[i].want, "%s", ok[i].v);
    }
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    cr_assert_eq(ctl_meas_set(&x, "renewable", "foo"), -EINVAL);
    cr_assert_str_eq(x.err, "renewable: 'foo': not yes or no (ja/nee, yes/no, j/n, y/n, "
                            "true/false, waar/onwaar, 1/0, x/-)");
    cr_assert(!x.mat.has_renewable);
}

typedef struct { char keys[8][32]; char why[8][256]; int n; } s_bad_t;
static void s_on_bad(void *arg, const char *key, const char *text, const char *why)
{
    s_bad_t *b = arg;
    (void)text;
    snprintf(b->keys[b->n], sizeof b->keys[0], "%s", key);
    snprintf(b->why[b->n++], sizeof b->why[0], "%s", why);
}

/* A cell of another kind is refused by name, never dropped; kind-dependent columns ("kwh")
 * land by the row's kind whatever the column order. */
Test(ctl_meas, fields_of_another_kind_are_refused_and_order_does_not_matter)
{
    s_bad_t b = { 0 };
    s_set("kind", "energy");
    s_set("carrier", "hvo100");
    s_set("quantity", "1000");
    s_set("mass", "5000");
    s_set("strategy", "r3");
    s_set("hours", "120");
    cr_assert_eq(ctl_meas_done(&x, s_on_bad, &b), 3);
    cr_assert_eq(b.n, 3);
    cr_assert_str_eq(b.keys[0], "hours");   /* table order */
    cr_assert_str_eq(b.keys[1], "mass");
    cr_assert_str_eq(b.keys[2], "strategy");
    cr_assert_str_eq(b.why[1], "not a field of kind energy (it belongs to kind material): the "
                               "value would not be stored; leave the cell empty or correct the "
                               "kind");
    cr_assert(!strncmp(x.err, "hours: not a field of kind energy", 33), "%s", x.err);
    ctl_meas_fini(&x);
    /* kwh before kind: the road message, as after it */
    ctl_meas_init(&x);
    s_set("kwh", "1000");
    s_set("kind", "road");
    cr_assert_eq(ctl_meas_done(&x, NULL, NULL), 0, "%s", x.err);
    cr_assert(x.r.has_kwh_milli && !x.mu.has_metered_kwh_milli);
    cr_assert_eq(x.r.kwh_milli, 1000LL * 1000);
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    s_set("kwh", "12");
    s_set("kind", "machine");
    cr_assert_eq(ctl_meas_done(&x, NULL, NULL), 0, "%s", x.err);
    cr_assert(x.mu.has_metered_kwh_milli && !x.r.has_kwh_milli);
    cr_assert_eq(x.mu.metered_kwh_milli, 12000);
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    s_set("kwh", "12");
    s_set("kind", "energy");
    cr_assert_eq(ctl_meas_done(&x, NULL, NULL), 1);
    cr_assert_str_eq(x.err, "kwh: not a field of kind energy (it belongs to kind road or "
                            "machine): the value would not be stored; leave the cell empty or "
                            "correct the kind");
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    s_set("kwh", "12");
    s_set("mass", "1");
    cr_assert_eq(ctl_meas_done(&x, NULL, NULL), 2);
    cr_assert_str_eq(x.err, "kwh: a field of kind road or machine, but the row has no kind");
}

Test(ctl_meas, same_field_names)
{
    cr_assert(ctl_meas_same_field("quantity", "quantity"));
    cr_assert(ctl_meas_same_field("tender", "tender_id"));
    cr_assert(ctl_meas_same_field("period", "period_start"));
    cr_assert(ctl_meas_same_field("period_end", "period"));
    cr_assert(ctl_meas_same_field("kind", "kind"));
    cr_assert(ctl_meas_same_field("kwh", "kwh"));
    cr_assert(!ctl_meas_same_field("quantity", "mass"));
    cr_assert(!ctl_meas_same_field("period_start", "period_end"));
    cr_assert(!ctl_meas_same_field("id", "tender"));
}

/* ---- a measurement CSV's layout: the delimiter says how "1.234" and dates read --------- */

#include "csv_import.h"

/* A ',' or TAB sheet (an English export: its "2.5" is two and a half) cannot say whether
 * "1.234" kg is 1234 kg or 1,234 kg: refused by name, never read as 1234 (1000x). A ';'
 * sheet is Dutch: 1234 kg, as Excel nl reads it. Expected values by hand, in the unit x 1000. */
Test(ctl_meas, a_dot_before_three_digits_reads_by_the_sheets_delimiter)
{
    static const struct { char delim; const char *in; long long want; int rc; } c[] = {
        { ';', "1.234", 1234000, 0 },    { 0, "1.234", 1234000, 0 },   /* a flag: as before */
        { ',', "1.234", 0, -EDOM },      { '\t', "1.234", 0, -EDOM },
        { ',', "12.500", 0, -EDOM },     { ',', "-1.234", 0, -EDOM },
        { ',', "2.5", 2500, 0 },         { ',', "1234.567", 1234567, 0 },
        { ',', "1,234.5", 1234500, 0 },  { ',', "1.234,5", 1234500, 0 },
        { ',', "1.234.567", 1234567000, 0 }, { ',', "0.250", 250, 0 },
        { ',', "1,5", 1500, 0 },         { ';', "1,5", 1500, 0 },
        { ';', "1 234,5", 1234500, 0 },  { ',', "1,234", 0, -EDOM },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int64_t v = -1;
        char why[320] = "";
        int rc = csv_parse_fixed_in(c[i].in, 3, c[i].delim, TEXT_EN, &v, why, sizeof why);
        cr_expect_eq(rc, c[i].rc, "'%s' (delim %d): %d %s", c[i].in, c[i].delim, rc, why);
        if (rc == 0)
            cr_expect_eq(v, c[i].want, "'%s' (delim %d): %lld", c[i].in, c[i].delim,
                         (long long)v);
    }
    /* through the field, in Dutch: the refusal names the ambiguity in the reader's language */
    x.delim = ',';
    x.lang = TEXT_NL;
    cr_assert_neq(ctl_meas_set(&x, "kind", "material"), -1);
    cr_expect_eq(ctl_meas_set(&x, "mass", "1.234"), -EINVAL);
    cr_expect_str_eq(x.err, "mass: '1.234': niet eenduidig in een blad met ',' of TAB als "
                            "scheidingsteken: '.' vóór drie cijfers scheidt duizendtallen "
                            "(Nederlands) of is een decimale punt (Engels); schrijf het zonder "
                            "scheidingsteken (1234), of met een vierde decimaal (1.2340) voor "
                            "het decimale getal");
    cr_expect(!x.mat.has_mass_g);
    x.delim = ';';
    s_set("mass", "1.234");
    cr_expect_eq(x.mat.mass_g, 1234000);
}

/* Excel nl rewrites the ISO dates of a sheet it saves as d-m-jjjj: read day first in a ';'
 * sheet, refused when they read both ways in a ',' sheet, sent as written from a flag. */
Test(ctl_meas, dates_of_a_sheet_read_in_its_layout)
{
    x.delim = ';';
    s_set("period", "1-1-2027..31-3-2027");
    cr_expect_str_eq(x.m.period_start, "2027-01-01");
    cr_expect_str_eq(x.m.period_end, "2027-03-31");
    s_set("period_start", "25/01/2027");
    cr_expect_str_eq(x.m.period_start, "2027-01-25");
    s_set("period_end", "2027-02-28");
    cr_expect_str_eq(x.m.period_end, "2027-02-28");
    cr_expect_eq(ctl_meas_set(&x, "period_end", "29-2-2027"), -EINVAL);   /* no such day */
    cr_expect_str_eq(x.err, "period_end: '29-2-2027': not a date (dd-mm-jjjj or yyyy-mm-dd) "
                            "or no such day");
    x.delim = ',';
    cr_expect_eq(ctl_meas_set(&x, "period_start", "1/2/2027"), -EINVAL);
    cr_expect_str_eq(x.err, "period_start: '1/2/2027': ambiguous date: day-month or "
                            "month-day? (a ','-separated sheet is not Dutch): write it as "
                            "yyyy-mm-dd");
    s_set("period_start", "3/31/2027");   /* reads one way only */
    cr_expect_str_eq(x.m.period_start, "2027-03-31");
    x.delim = 0;   /* a flag: the service judges what was written */
    s_set("period_start", "1-1-2027");
    cr_expect_str_eq(x.m.period_start, "1-1-2027");
}

/* "sep=;" on the first line: Excel's marker of the delimiter, not a header. */
Test(ctl_meas, sep_line_states_the_delimiter)
{
    char d = 0;
    cr_expect_eq(csv_sep_line("sep=;\r\nid;tender\r\n", 18, &d), 7);
    cr_expect_eq(d, ';');
    cr_expect_eq(csv_sep_line("SEP=,\nid,tender\n", 16, &d), 6);
    cr_expect_eq(d, ',');
    cr_expect_eq(csv_sep_line("sep=\t", 5, &d), 5);
    cr_expect_eq(d, '\t');
    d = 0;
    cr_expect_eq(csv_sep_line("sep=;x\nid\n", 10, &d), 0);
    cr_expect_eq(csv_sep_line("sep=|\nid\n", 9, &d), 0);
    cr_expect_eq(csv_sep_line("id;sep\n", 7, &d), 0);
    cr_expect_eq(csv_sep_line("sep=", 4, &d), 0);
    cr_expect_eq(d, 0);
}

/* Amounts in euros as Excel's currency format writes them; the currency only where an amount
 * is meant (a mass in "€" is refused). Cents by hand. */
Test(ctl_meas, euro_amounts_as_excel_currency_cells)
{
    x.delim = ';';
    static const struct { const char *in; long long cents; } ok[] = {
        { "\xE2\x82\xAC 1.234,00", 123400 }, { "\xE2\x82\xAC" "1234,5", 123450 },
        { "1.234,56 \xE2\x82\xAC", 123456 }, { "EUR 250,-", 25000 }, { "250 eur", 25000 },
        { "\xE2\x82\xAC 12.500", 1250000 },
    };
    s_set("kind", "social");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        s_set("invoices", ok[i].in);
        cr_expect_eq(x.s.social_enterprise_cents, ok[i].cents, "'%s': %lld", ok[i].in,
                     (long long)x.s.social_enterprise_cents);
    }
    static const char *bad[] = { "\xE2\x82\xAC \xE2\x82\xAC 5", "5 EUR EUR", "EUR",
                                 "1\xE2\x82\xAC" "5", "$ 5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(ctl_meas_set(&x, "invoices", bad[i]), -EINVAL, "'%s'", bad[i]);
    ctl_meas_fini(&x);
    ctl_meas_init(&x);
    s_set("kind", "material");
    cr_expect_eq(ctl_meas_set(&x, "mass", "\xE2\x82\xAC 5"), -EINVAL);
}

/* A space between digits is a thousands separator ("1 234 567", as a spreadsheet groups
 * them) or a typo: "12 5" was read as 125 l, "€ 12 50" as 1250 euros and an SROI of "2 5" %
 * as 25 %, each ten times or more what was meant, without a word. Figures by hand:
 * 1 234 567,5 l = 1 234 567 500 ml; 100 000 l = 100 000 000 ml; € 1 234,56 = 123 456 ct;
 * 2,5 % = 250 basis points. */
Test(ctl_meas, a_space_between_digits_groups_thousands_or_is_refused)
{
    x.delim = ';';
    s_set("kind", "energy");
    static const struct { const char *in; long long milli; } ok[] = {
        { "1 234 567,5", 1234567500LL }, { "100 000", 100000000LL }, { " 12 ", 12000 },
        { "1\xC2\xA0" "234", 1234000 }, { "1\xE2\x80\xAF" "234,5", 1234500 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        s_set("quantity", ok[i].in);
        cr_expect_eq(x.e.quantity_milli, ok[i].milli, "'%s': %lld", ok[i].in,
                     (long long)x.e.quantity_milli);
    }
    static const char *bad[] = { "12 5", "1 5 0 0", "1234 567", "1 234 56", "1 23,5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(ctl_meas_set(&x, "quantity", bad[i]), -EINVAL, "'%s' taken as %lld",
                     bad[i], (long long)x.e.quantity_milli);
        cr_expect(strstr(x.err, "groups of three") != NULL, "'%s': %s", bad[i], x.err);
    }
    int64_t cents = -1;
    cr_expect_eq(csv_parse_amount_cents("\xE2\x82\xAC 1 234,56", &cents), 0);
    cr_expect_eq(cents, 123456);
    cr_expect_eq(csv_parse_amount_cents("\xE2\x82\xAC 12 50", &cents), -EINVAL, "%lld",
                 (long long)cents);
    cr_expect_eq(csv_parse_amount_cents("12 5", &cents), -EINVAL, "%lld", (long long)cents);
    uint32_t bp = 0;
    cr_expect_eq(csv_parse_percent_bp("2,5 %", &bp), 0);
    cr_expect_eq(bp, 250);
    cr_expect_eq(csv_parse_percent_bp("2 5", &bp), -EINVAL, "%u", bp);
}
