/*  mvoictl measure: measurements for the impact-calculator.
 *
 *    measure add     [FIELDS...] | --json FILE|-     submit one measurement (or a JSON batch)
 *    measure whatif  [FIELDS...] | --json FILE|-     compute without storing (compute_impact)
 *    measure import  FILE.csv [--dry-run] [--run NAME] [--per N] [--window N]
 *    measure correct --id ID --reason TEXT [FIELDS...]
 *    measure withdraw --id ID --reason TEXT
 *    measure list    [--tender ID] [--offset N] [--limit N]
 *    measure show    ID
 *    measure factors
 *
 *  FIELDS are the same names as the CSV columns (flags: --name value):
 *    id tender phase(ambition|realisation) period(YYYY-MM-DD..YYYY-MM-DD) or period_start
 *    period_end, submitter, edition, reason, kind (energy machine road material social
 *    fairtrade mki pilot) and per kind:
 *    energy:    carrier reference quantity grid_year        (carrier keys: hvo100, diesel_b7...)
 *    machine:   power stage stage_required hours load kwh machine  (stage: v, iiib, stage_v...)
 *    road:      vehicle euro euro_required km kwh
 *    material:  mass (kg) strategy (r3_reuse or r3) sharing renewable(yes|no) material
 *    social:    target_group fte_months social_hours invoices (EUR) bonus50(yes|no)
 *    fairtrade: category products fair
 *    mki:       mki_reference mki_offered (EUR)
 *    pilot:     theme status
 *  Quantities are decimals with '.' or ',' ("10000", "0.4", "1234,56"), converted exactly.
 *
 *  CSV (deploy/demo/measurements.csv): a header line naming the columns (any subset and order
 *  of the FIELDS above, unknown columns are an error): see cmd_measure_import.c.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include <csv.h>
#include <jansson.h>

#include "codec.h"
#include "ctl.h"
#include "ctl_units.h"
#include "pbjson.h"
#include "cmd_measure.h"

/* ------------------------------------------------------------ one measurement */


void ctl_meas_init(ctl_meas_t *x)
{
    memset(x, 0, sizeof *x);
    mvoi__measurement__init(&x->m);
    mvoi__energy_use__init(&x->e);
    mvoi__machine_use__init(&x->mu);
    mvoi__road_transport__init(&x->r);
    mvoi__material__init(&x->mat);
    mvoi__social_return__init(&x->s);
    mvoi__fair_trade__init(&x->ft);
    mvoi__mki__init(&x->k);
    mvoi__pilot_status__init(&x->p);
}

void ctl_meas_fini(ctl_meas_t *x)
{
    for (int i = 0; i < x->nstrs; i++)
        free(x->strs[i]);
    x->nstrs = 0;
}

static char *s_keep(ctl_meas_t *x, const char *v)
{
    if (x->nstrs >= (int)(sizeof x->strs / sizeof x->strs[0]))
        return NULL;
    return x->strs[x->nstrs++] = strdup(v);
}

/* Decimal text -> value x 10^dec, exact ("1234,5" with dec 3 -> 1234500). */
static int s_fixed(const char *t, int dec, int64_t *out)
{
    const char *p = t;
    bool neg = false;
    while (*p == ' ')
        p++;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    int64_t v = 0;
    int digits = 0, frac = -1;
    for (; *p; p++) {
        if (*p == '.' || *p == ',') {
            if (frac >= 0)
                return -EINVAL;
            frac = 0;
            continue;
        }
        if (*p == '_' || *p == ' ')
            continue;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        if (frac >= 0 && frac == dec) {
            if (*p != '0')
                return -ERANGE;
            continue;
        }
        if (v > (INT64_MAX - 9) / 10)
            return -ERANGE;
        v = v * 10 + (*p - '0');
        digits++;
        if (frac >= 0)
            frac++;
    }
    if (!digits)
        return -EINVAL;
    for (int f = frac < 0 ? 0 : frac; f < dec; f++) {
        if (v > INT64_MAX / 10)
            return -ERANGE;
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

static bool s_yes(const char *v)
{
    return !strcasecmp(v, "yes") || !strcasecmp(v, "ja") || !strcasecmp(v, "true")
           || !strcmp(v, "1");
}

static int s_enum(const ProtobufCEnumDescriptor *d, const char *prefix, const char *v, int *out)
{
    char name[96];
    if (pbjson_enum_parse(d, v, out) == 0)
        return 0;
    snprintf(name, sizeof name, "%s%s", prefix, v);
    return pbjson_enum_parse(d, name, out);
}

static void s_kind(ctl_meas_t *x, int kind)
{
    x->m.kind_case = kind;
    switch (kind) {
    case MVOI__MEASUREMENT__KIND_ENERGY: x->m.energy = &x->e; break;
    case MVOI__MEASUREMENT__KIND_MACHINE: x->m.machine = &x->mu; break;
    case MVOI__MEASUREMENT__KIND_ROAD: x->m.road = &x->r; break;
    case MVOI__MEASUREMENT__KIND_MATERIAL: x->m.material = &x->mat; break;
    case MVOI__MEASUREMENT__KIND_SOCIAL: x->m.social = &x->s; break;
    case MVOI__MEASUREMENT__KIND_FAIRTRADE: x->m.fairtrade = &x->ft; break;
    case MVOI__MEASUREMENT__KIND_MKI: x->m.mki = &x->k; break;
    case MVOI__MEASUREMENT__KIND_PILOT: x->m.pilot = &x->p; break;
    default: break;
    }
}

#define S_FIX(field, dec)                                                            \
    do {                                                                             \
        if (s_fixed(v, dec, &fx) != 0)                                               \
            goto bad;                                                                \
        field = fx;                                                                  \
    } while (0)

/* Set one field by its column/flag name. Empty values are ignored. 0 or -EINVAL (x->err). */
int ctl_meas_set(ctl_meas_t *x, const char *key, const char *v)
{
    int64_t fx;
    int ev;
    if (!v || !*v)
        return 0;
    if (!strcmp(key, "id")) x->m.id = s_keep(x, v);
    else if (!strcmp(key, "tender") || !strcmp(key, "tender_id")) x->m.tender_id = s_keep(x, v);
    else if (!strcmp(key, "submitter")) x->m.submitter = s_keep(x, v);
    else if (!strcmp(key, "edition")) x->m.edition = s_keep(x, v);
    else if (!strcmp(key, "reason")) x->m.reason = s_keep(x, v);
    else if (!strcmp(key, "buyer")) x->m.buyer = s_keep(x, v);
    else if (!strcmp(key, "period_start")) x->m.period_start = s_keep(x, v);
    else if (!strcmp(key, "period_end")) x->m.period_end = s_keep(x, v);
    else if (!strcmp(key, "period")) {
        const char *dots = strstr(v, "..");
        if (!dots)
            goto bad;
        char a[32];
        snprintf(a, sizeof a, "%.*s", (int)(dots - v), v);
        x->m.period_start = s_keep(x, a);
        x->m.period_end = s_keep(x, dots + 2);
    }
    else if (!strcmp(key, "phase")) {
        x->m.has_phase = 1;
        if (s_enum(&mvoi__phase__descriptor, "PHASE_", v, &ev) != 0)
            goto bad;
        x->m.phase = ev;
    }
    else if (!strcmp(key, "kind")) {
        static const char *kinds[] = { "energy", "machine", "road", "material", "social",
                                       "fairtrade", "mki", "pilot" };
        int found = 0;
        for (int i = 0; i < 8; i++)
            if (!strcmp(v, kinds[i]))
                found = 20 + i;
        if (!found)
            goto bad;
        s_kind(x, found);
    }
    /* energy */
    else if (!strcmp(key, "carrier") || !strcmp(key, "reference")) {
        int c;
        if (s_enum(&mvoi__carrier__descriptor, "CARRIER_", v, &c) != 0)
            goto bad;
        if (!strcmp(key, "carrier")) {
            x->e.has_carrier = 1;
            x->e.carrier = c;
        } else {
            x->e.has_reference_carrier = 1;
            x->e.reference_carrier = c;
        }
    }
    else if (!strcmp(key, "quantity")) { x->e.has_quantity_milli = 1; S_FIX(x->e.quantity_milli, 3); }
    else if (!strcmp(key, "grid_year")) { x->e.has_grid_year = 1; S_FIX(x->e.grid_year, 0); }
    /* machine */
    else if (!strcmp(key, "power")) { x->mu.has_power_kw = 1; S_FIX(x->mu.power_kw, 0); }
    else if (!strcmp(key, "stage") || !strcmp(key, "stage_required")) {
        int st;
        if (s_enum(&mvoi__emission_stage__descriptor, "STAGE_", v, &st) != 0)
            goto bad;
        if (!strcmp(key, "stage")) {
            x->mu.has_stage_actual = 1;
            x->mu.stage_actual = st;
        } else {
            x->mu.has_stage_required = 1;
            x->mu.stage_required = st;
        }
    }
    else if (!strcmp(key, "hours")) { x->mu.has_hours_milli = 1; S_FIX(x->mu.hours_milli, 3); }
    else if (!strcmp(key, "load")) { x->mu.has_load_factor_permille = 1; S_FIX(x->mu.load_factor_permille, 3); }
    else if (!strcmp(key, "kwh")) {
        if (x->m.kind_case == MVOI__MEASUREMENT__KIND_ROAD) { x->r.has_kwh_milli = 1; S_FIX(x->r.kwh_milli, 3); }
        else { x->mu.has_metered_kwh_milli = 1; S_FIX(x->mu.metered_kwh_milli, 3); }
    }
    else if (!strcmp(key, "machine")) x->mu.machine = s_keep(x, v);
    /* road */
    else if (!strcmp(key, "vehicle")) x->r.vehicle_class = s_keep(x, v);
    else if (!strcmp(key, "euro")) x->r.euro_class_actual = s_keep(x, v);
    else if (!strcmp(key, "euro_required")) x->r.euro_class_required = s_keep(x, v);
    else if (!strcmp(key, "km")) { x->r.has_km_milli = 1; S_FIX(x->r.km_milli, 3); }
    /* material */
    else if (!strcmp(key, "mass")) { x->mat.has_mass_g = 1; S_FIX(x->mat.mass_g, 3); }
    else if (!strcmp(key, "strategy")) {
        int st;
        if (pbjson_enum_parse(&mvoi__rstrategy__descriptor, v, &st) != 0) {
            /* "r3" -> the rung's full name */
            const ProtobufCEnumDescriptor *d = &mvoi__rstrategy__descriptor;
            size_t n = strlen(v);
            bool ok = false;
            for (unsigned i = 0; i < d->n_values && !ok; i++)
                if (!strncasecmp(d->values[i].name, v, n) && d->values[i].name[n] == '_') {
                    st = d->values[i].value;
                    ok = true;
                }
            if (!ok)
                goto bad;
        }
        x->mat.has_strategy = 1;
        x->mat.strategy = st;
    }
    else if (!strcmp(key, "sharing")) { x->mat.has_sharing_factor_milli = 1; S_FIX(x->mat.sharing_factor_milli, 3); }
    else if (!strcmp(key, "renewable")) { x->mat.has_renewable = 1; x->mat.renewable = s_yes(v); }
    else if (!strcmp(key, "material")) x->mat.material = s_keep(x, v);
    /* social */
    else if (!strcmp(key, "target_group")) x->s.target_group = s_keep(x, v);
    else if (!strcmp(key, "fte_months")) { x->s.has_fte_months_milli = 1; S_FIX(x->s.fte_months_milli, 3); }
    else if (!strcmp(key, "social_hours")) { x->s.has_social_project_hours_milli = 1; S_FIX(x->s.social_project_hours_milli, 3); }
    else if (!strcmp(key, "invoices")) { x->s.has_social_enterprise_cents = 1; S_FIX(x->s.social_enterprise_cents, 2); }
    else if (!strcmp(key, "bonus50")) { x->s.has_bonus_50plus = 1; x->s.bonus_50plus = s_yes(v); }
    /* fair trade */
    else if (!strcmp(key, "category")) x->ft.category = s_keep(x, v);
    else if (!strcmp(key, "products")) { x->ft.has_products_total = 1; S_FIX(x->ft.products_total, 0); }
    else if (!strcmp(key, "fair")) { x->ft.has_products_fair = 1; S_FIX(x->ft.products_fair, 0); }
    /* mki */
    else if (!strcmp(key, "mki_reference")) { x->k.has_reference_mki_cents = 1; S_FIX(x->k.reference_mki_cents, 2); }
    else if (!strcmp(key, "mki_offered")) { x->k.has_offered_mki_cents = 1; S_FIX(x->k.offered_mki_cents, 2); }
    /* pilot */
    else if (!strcmp(key, "theme")) {
        if (s_enum(&mvoi__theme__descriptor, "THEME_", v, &ev) != 0)
            goto bad;
        x->p.has_theme = 1;
        x->p.theme = ev;
    }
    else if (!strcmp(key, "status")) x->p.status = s_keep(x, v);
    else {
        snprintf(x->err, sizeof x->err, "unknown field '%s'", key);
        return -EINVAL;
    }
    return 0;
bad:
    snprintf(x->err, sizeof x->err, "%s: '%s' is not a valid value", key, v);
    return -EINVAL;
}

/* ------------------------------------------------------------ printing */

static int s_print_reply(ctl_t *ctl, const Mvoi__Envelope *r)
{
    int ex = ctl_check_error(ctl, r);
    if (ex)
        return ex;
    if (r->body_case != MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY) {
        return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
    }
    const Mvoi__MeasurementReply *mr = r->measurement_reply;
    if (ctl->json)
        ctl_print_json(stdout, &mr->base);
    int failed = 0;
    for (size_t i = 0; i < mr->n_results; i++) {
        const Mvoi__MeasurementResult *x = mr->results[i];
        if (!x->ok) {
            failed++;
            fprintf(stderr, "%s: %s: %s\n", ctl_text(ctl, "ctl.error"), x->id ? x->id : "?",
                    x->error && x->error->message ? x->error->message
                    : x->error && x->error->field ? x->error->field
                    : ctl_text(ctl, "ctl.code.other"));
            continue;
        }
        if (ctl->json)
            continue;
        printf("%s rev %u%s", x->id ? x->id : "", x->revision, x->duplicate ? " (duplicate)" : "");
        if (x->impact)
            ctl_print_impact(ctl, x->impact);
        printf("\n");
        if (x->explanation)
            printf("  %s\n", x->explanation);
    }
    return failed ? CTL_EX_DATAERR : CTL_EX_OK;
}

/* ------------------------------------------------------------ add / whatif / correct */

static const struct option s_field_opts[] = {
    { "id", 1, 0, 0 }, { "tender", 1, 0, 0 }, { "phase", 1, 0, 0 }, { "period", 1, 0, 0 },
    { "period_start", 1, 0, 0 }, { "period_end", 1, 0, 0 }, { "submitter", 1, 0, 0 },
    { "edition", 1, 0, 0 }, { "reason", 1, 0, 0 }, { "kind", 1, 0, 0 }, { "carrier", 1, 0, 0 },
    { "reference", 1, 0, 0 }, { "quantity", 1, 0, 0 }, { "grid_year", 1, 0, 0 },
    { "power", 1, 0, 0 }, { "stage", 1, 0, 0 }, { "stage_required", 1, 0, 0 },
    { "hours", 1, 0, 0 }, { "load", 1, 0, 0 }, { "kwh", 1, 0, 0 }, { "machine", 1, 0, 0 },
    { "vehicle", 1, 0, 0 }, { "euro", 1, 0, 0 }, { "euro_required", 1, 0, 0 },
    { "km", 1, 0, 0 }, { "mass", 1, 0, 0 }, { "strategy", 1, 0, 0 }, { "sharing", 1, 0, 0 },
    { "renewable", 1, 0, 0 }, { "material", 1, 0, 0 }, { "target_group", 1, 0, 0 },
    { "fte_months", 1, 0, 0 }, { "social_hours", 1, 0, 0 }, { "invoices", 1, 0, 0 },
    { "bonus50", 1, 0, 0 }, { "category", 1, 0, 0 }, { "products", 1, 0, 0 },
    { "fair", 1, 0, 0 }, { "mki_reference", 1, 0, 0 }, { "mki_offered", 1, 0, 0 },
    { "theme", 1, 0, 0 }, { "status", 1, 0, 0 }, { "json", 1, 0, 'J' },
    { 0, 0, 0, 0 },
};

bool ctl_meas_known(const char *key)
{
    if (!strcmp(key, "tender_id") || !strcmp(key, "buyer"))
        return true;
    for (size_t i = 0; s_field_opts[i].name; i++)
        if (s_field_opts[i].val == 0 && !strcmp(s_field_opts[i].name, key))
            return true;
    return false;
}

/* Parse FIELDS flags (or --json) into a SubmitMeasurements. *json_msg is set when --json was
 * used (free with protobuf_c_message_free_unpacked). */
static int s_parse_fields(const ctl_t *ctl, int argc, char **argv, ctl_meas_t *x,
                          Mvoi__SubmitMeasurements **json_msg)
{
    ctl_meas_init(x);
    *json_msg = NULL;
    const char *json_file = NULL;
    int c, idx;
    /* Two passes: kind first, so that "kwh" lands in the right message. */
    for (int pass = 0; pass < 2; pass++) {
        optind = 0;   /* 0: full re-initialisation of GNU getopt (permute again) */
        opterr = pass == 0;
        while ((c = getopt_long(argc, argv, "", s_field_opts, &idx)) != -1) {
            if (c == '?')
                return CTL_EX_USAGE;
            if (c == 'J') {
                json_file = optarg;
                continue;
            }
            const char *name = s_field_opts[idx].name;
            if ((pass == 0) != (strcmp(name, "kind") == 0))
                continue;
            if (ctl_meas_set(x, name, optarg) != 0) {
                fprintf(stderr, "mvoictl: --%s\n", x->err);
                return CTL_EX_USAGE;
            }
        }
    }
    if (json_file) {
        json_error_t je;
        json_t *j = strcmp(json_file, "-") == 0 ? json_loadf(stdin, 0, &je)
                                                : json_load_file(json_file, 0, &je);
        if (!j) {
            return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.json_at", json_file, je.line, je.text);
        }
        pbjson_error_t pe;
        ProtobufCMessage *msg = NULL;
        /* Either a SubmitMeasurements {"measurements": [...]} or one Measurement. */
        int rc = json_object_get(j, "measurements")
                     ? pbjson_decode(j, &mvoi__submit_measurements__descriptor, &msg, &pe)
                     : pbjson_decode(j, &mvoi__measurement__descriptor, &msg, &pe);
        bool single = !json_object_get(j, "measurements");
        json_decref(j);
        if (rc != 0) {
            return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.json_field", json_file, pe.field,
                            pe.message);
        }
        if (single) {
            Mvoi__SubmitMeasurements *sm = calloc(1, sizeof *sm);
            mvoi__submit_measurements__init(sm);
            sm->measurements = calloc(1, sizeof *sm->measurements);
            sm->measurements[0] = (Mvoi__Measurement *)msg;
            sm->n_measurements = 1;
            *json_msg = sm;
        } else {
            *json_msg = (Mvoi__SubmitMeasurements *)msg;
        }
        return 0;
    }
    if (!x->m.submitter) {
        const char *u = getenv("USER");
        x->m.submitter = s_keep(x, u && *u ? u : "mvoictl");
    }
    if (!x->m.has_phase) {
        x->m.has_phase = 1;
        x->m.phase = MVOI__PHASE__PHASE_REALISATION;
    }
    return 0;
}

static int s_submit_like(ctl_t *ctl, int argc, char **argv, bool what_if, uint64_t *seq)
{
    ctl_meas_t x;
    Mvoi__SubmitMeasurements *jm = NULL;
    int ex = s_parse_fields(ctl, argc, argv, &x, &jm);
    if (ex)
        return ex;
    Mvoi__Measurement *mp = &x.m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    Mvoi__SubmitMeasurements *body = jm ? jm : &sm;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    if (what_if) {
        req.body_case = MVOI__ENVELOPE__BODY_COMPUTE_IMPACT;
        req.compute_impact = body;
    } else {
        req.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
        req.submit_measurements = body;
    }
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && (ex = s_print_reply(ctl, r)) == 0 && seq)
        *seq = r->measurement_reply->seq;
    ctl_free(&r);
    if (jm)
        protobuf_c_message_free_unpacked(&jm->base, NULL);
    ctl_meas_fini(&x);
    return ex;
}

static int s_add(ctl_t *ctl, int argc, char **argv)
{
    bool wait = ctl_strip_flag(&argc, argv, "--wait");   /* until the totals include it */
    uint64_t seq = 0;
    int ex = s_submit_like(ctl, argc, argv, false, &seq);
    return ex == 0 && wait ? ctl_wait_applied(ctl, "impact", seq) : ex;
}
static int s_whatif(ctl_t *c, int n, char **v) { return s_submit_like(c, n, v, true, NULL); }

static int s_correct(ctl_t *ctl, int argc, char **argv)
{
    ctl_meas_t x;
    Mvoi__SubmitMeasurements *jm = NULL;
    int ex = s_parse_fields(ctl, argc, argv, &x, &jm);
    if (ex)
        return ex;
    Mvoi__CorrectMeasurement cm = MVOI__CORRECT_MEASUREMENT__INIT;
    cm.measurement = jm ? jm->measurements[0] : &x.m;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT;
    req.correct_measurement = &cm;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0)
        ex = s_print_reply(ctl, r);
    ctl_free(&r);
    if (jm)
        protobuf_c_message_free_unpacked(&jm->base, NULL);
    ctl_meas_fini(&x);
    return ex;
}

static int s_withdraw(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = { { "id", 1, 0, 'i' }, { "reason", 1, 0, 'r' },
                                       { "submitter", 1, 0, 's' }, { 0, 0, 0, 0 } };
    Mvoi__WithdrawMeasurement w = MVOI__WITHDRAW_MEASUREMENT__INIT;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (c == 'i') w.id = optarg;
        else if (c == 'r') w.reason = optarg;
        else if (c == 's') w.submitter = optarg;
        else return CTL_EX_USAGE;
    }
    if (!w.id && optind < argc)
        w.id = argv[optind];
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT;
    req.withdraw_measurement = &w;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0)
        ex = s_print_reply(ctl, r);
    ctl_free(&r);
    return ex;
}

/* ------------------------------------------------------------ queries */

static int s_list(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = { { "tender", 1, 0, 't' }, { "offset", 1, 0, 'o' },
                                       { "limit", 1, 0, 'l' }, { 0, 0, 0, 0 } };
    Mvoi__ListMeasurements l = MVOI__LIST_MEASUREMENTS__INIT;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (c == 't') l.tender_id = optarg;
        else if (c == 'o') { l.has_offset = 1; l.offset = (uint32_t)atoi(optarg); }
        else if (c == 'l') { l.has_limit = 1; l.limit = (uint32_t)atoi(optarg); }
        else return CTL_EX_USAGE;
    }
    if (!l.tender_id && optind < argc)
        l.tender_id = argv[optind];
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS;
    req.list_measurements = &l;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && !(ex = ctl_check_error(ctl, r))) {
        const Mvoi__MeasurementList *ml = r->measurement_list;
        if (ctl->json) {
            ctl_print_json(stdout, &ml->base);
        } else {
            for (size_t i = 0; i < ml->n_records; i++) {
                const Mvoi__MeasurementRecord *rec = ml->records[i];
                const Mvoi__Measurement *m = rec->measurement;
                printf("%-24s %-14s %-11s %s..%s rev %u%s", m->id, m->tender_id,
                       m->phase == MVOI__PHASE__PHASE_AMBITION ? "ambition" : "realisation",
                       m->period_start, m->period_end, m->revision,
                       rec->withdrawn ? " WITHDRAWN" : "");
                if (rec->impact && !rec->withdrawn)
                    ctl_print_impact(ctl, rec->impact);
                printf("\n");
            }
            printf("(%zu of %u)\n", ml->n_records, ml->total);
        }
    }
    ctl_free(&r);
    return ex;
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2) {
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.need_id", "measure show");
    }
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = argv[1];
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    req.get_measurement = &g;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && !(ex = ctl_check_error(ctl, r))) {
        const Mvoi__MeasurementRecord *rec = r->measurement_record;
        if (ctl->json) {
            ctl_print_json(stdout, &rec->base);
        } else {
            const Mvoi__Measurement *m = rec->measurement;
            printf("%s  tender %s%s%s%s  %s..%s  by %s  revision %u%s\n", m->id, m->tender_id,
                   rec->purchasing_group ? " (" : "", rec->purchasing_group ? rec->purchasing_group : "",
                   rec->purchasing_group ? ")" : "",
                   m->period_start, m->period_end, m->submitter ? m->submitter : "?",
                   m->revision, rec->withdrawn ? "  WITHDRAWN" : "");
            if (rec->impact) {
                printf("impact:");
                ctl_print_impact(ctl, rec->impact);
                printf("\n");
            }
            if (rec->explanation)
                printf("calculation: %s\n", rec->explanation);
            for (size_t i = 0; i < rec->n_history; i++)
                printf("history: revision %u by %s%s%s\n", rec->history[i]->revision,
                       rec->history[i]->submitter ? rec->history[i]->submitter : "?",
                       rec->history[i]->reason ? ": " : "",
                       rec->history[i]->reason ? rec->history[i]->reason : "");
        }
    }
    ctl_free(&r);
    return ex;
}

static int s_factors(ctl_t *ctl, int argc, char **argv)
{
    Mvoi__ListFactorTables l = MVOI__LIST_FACTOR_TABLES__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES;
    req.list_factor_tables = &l;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && !(ex = ctl_check_error(ctl, r))) {
        const Mvoi__FactorTableList *fl = r->factor_table_list;
        if (ctl->json)
            ctl_print_json(stdout, &fl->base);
        else
            for (size_t i = 0; i < fl->n_tables; i++)
                printf("%-18s %-10s %3u rows %3u unverified  %s\n", fl->tables[i]->table,
                       fl->tables[i]->edition, fl->tables[i]->rows,
                       fl->tables[i]->unverified_rows, fl->tables[i]->source);
    }
    ctl_free(&r);
    return ex;
}

const ctl_cmd_t ctl_measure_cmds[] = {
    { "add", "--id ID --tender T --period A..B --kind K [FIELDS] | --json FILE|- [--wait]",
      "submit a measurement (fields as in the CSV: --carrier hvo100 --reference diesel_b7 "
      "--quantity 10000 ...)", s_add },
    { "import", "FILE.csv [--dry-run] [--run NAME] [--per N] [--window N]",
      "submit a CSV of measurements, pipelined, idempotent by measurement id; --dry-run: what "
      "each row would become, nothing stored", ctl_measure_import },
    { "list", "[--tender ID] [--offset N] [--limit N]", "measurements (of a tender)", s_list },
    { "show", "ID", "a measurement, its calculation spelled out with sources, its history",
      s_show },
    { "factors", "", "factor tables and their editions", s_factors },
    { "whatif", "[FIELDS] | --json FILE|-", "compute the impact without storing anything",
      s_whatif },
    { "correct", "--id ID --reason TEXT [FIELDS]", "supersede a measurement (revision + 1)",
      s_correct },
    { "withdraw", "--id ID --reason TEXT", "withdraw a measurement", s_withdraw },
    { NULL },
};
