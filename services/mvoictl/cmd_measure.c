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
 *  Numbers follow the tender import's separators (csv_parse_fixed in csv_import.h), exactly:
 *  "10.000" and "10000" are ten thousand, "1.234,5" and "1234,5" 1234.5, "0,4" and "0.4" 0.4;
 *  "1,500" is refused (1500 or 1,5?), so is "12 5" (a space only groups thousands). More
 *  decimals than the unit holds, a number outside its field's range, a yes/no field with
 *  another word (ja/nee, yes/no, j/n, true/false, 1/0, x/-), a field of another kind than
 *  --kind and a field given twice (--quantity 5 --quantity 7, --period and --period_end)
 *  are refused by name. --json FILE is the whole measurement (or batch): field flags beside
 *  it are refused, and `correct --json` takes exactly one measurement.
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

/* One measurement from fields: cmd_measure_fields.c. */

/* ------------------------------------------------------------ printing */

/* "error (invalid input): m-1: --quantity: must be positive": the measurement (its place in
 * the batch when it has no id), the option and the reason, without the service's internal
 * path ("submit_measurements.measurements[0].energy.quantity"). */
static void s_print_result_error(const ctl_t *ctl, size_t i, const Mvoi__MeasurementResult *x)
{
    const Mvoi__Error *e = x->error;
    char key[48], field[64] = "", which[32];
    snprintf(key, sizeof key, "ctl.code.%d", e ? (int)e->code : -1);
    if (e && e->field && *e->field)
        ctl_field_name(e->field, ctl_meas_options(), field, sizeof field);
    snprintf(which, sizeof which, "#%zu", i + 1);
    fprintf(stderr, "%s (%s): %s: %s%s%s\n", ctl_text(ctl, "ctl.error"),
            text_has(key) ? ctl_text(ctl, key) : ctl_text(ctl, "ctl.code.other"),
            x->id && *x->id ? x->id : which, field, *field ? ": " : "",
            e && e->message ? ctl_field_message(e->field, e->message)
                            : ctl_text(ctl, "ctl.code.other"));
}

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
            s_print_result_error(ctl, i, x);
            continue;
        }
        if (!ctl->json)
            ctl_measure_print_result(ctl, x);
    }
    return failed ? CTL_EX_DATAERR : CTL_EX_OK;
}

/* ------------------------------------------------------------ add / whatif / correct */

/* --json FILE|- into a SubmitMeasurements (a batch, or one Measurement made a batch of one).
 * 0, or an exit code after the message. */
static int s_load_json(ctl_t *ctl, const char *json_file, Mvoi__SubmitMeasurements **json_msg)
{
    json_error_t je;
    /* a field twice ("quantity_milli" of two figures) is refused, as a flag twice is:
     * jansson kept the last without a word */
    json_t *j = strcmp(json_file, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
                                            : json_load_file(json_file, JSON_REJECT_DUPLICATES,
                                                             &je);
    if (!j)
        return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.json_at", json_file, je.line, je.text);
    pbjson_error_t pe;
    ProtobufCMessage *msg = NULL;
    /* Either a SubmitMeasurements {"measurements": [...]} or one Measurement. */
    bool single = !json_object_get(j, "measurements");
    int rc = single ? pbjson_decode(j, &mvoi__measurement__descriptor, &msg, &pe)
                    : pbjson_decode(j, &mvoi__submit_measurements__descriptor, &msg, &pe);
    json_decref(j);
    if (rc != 0)
        return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.json_field", json_file, pe.field,
                        pe.message);
    if (!single) {
        *json_msg = (Mvoi__SubmitMeasurements *)msg;
        return 0;
    }
    Mvoi__SubmitMeasurements *sm = calloc(1, sizeof *sm);
    Mvoi__Measurement **one = calloc(1, sizeof *one);
    if (!sm || !one) {
        free(sm);
        free(one);
        protobuf_c_message_free_unpacked(msg, NULL);
        return CTL_EX_SOFTWARE;
    }
    mvoi__submit_measurements__init(sm);
    one[0] = (Mvoi__Measurement *)msg;
    sm->measurements = one;
    sm->n_measurements = 1;
    *json_msg = sm;
    return 0;
}

/* Does name set a field that a flag in seen[0..n) set already ("--quantity 5 --quantity 7",
 * "--period A..B --period_end C", "--tender T1 --tender T2")? The later one had won without
 * a word, as a sheet's repeated column would: the CSV import refuses that, so do the flags.
 * The earlier flag's name, or NULL. */
static const char *s_flag_twice(const char *const *seen, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (ctl_meas_same_field(seen[i], name))
            return seen[i];
    return NULL;
}

/* Parse FIELDS flags (or --json) into a SubmitMeasurements. *json_msg is set when --json was
 * used (free with protobuf_c_message_free_unpacked). */
static int s_parse_fields(ctl_t *ctl, int argc, char **argv, ctl_meas_t *x,
                          Mvoi__SubmitMeasurements **json_msg)
{
    ctl_meas_init(x);
    x->lang = ctl->tl;   /* a flag's refusal in the reader's language, as an import cell's */
    *json_msg = NULL;
    ctl->opts = ctl_meas_options();   /* a refused field is named as its flag */
    const char *json_file = NULL, *seen[64], *twice;
    const struct option *opts = ctl_meas_options();
    int c, idx, ex, nseen = 0;
    /* Two passes: kind first, so that "kwh" lands in the right message. */
    for (int pass = 0; pass < 2; pass++) {
        optind = 0;   /* 0: full re-initialisation of GNU getopt (permute again) */
        opterr = pass == 0;
        while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
            if (c == '?')
                return CTL_EX_USAGE;
            if (c == 'J') {
                json_file = optarg;
                continue;
            }
            const char *name = opts[idx].name;
            if ((pass == 0) != (strcmp(name, "kind") == 0))
                continue;
            if ((twice = s_flag_twice(seen, nseen, name)))
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.meas_flag_twice", twice, name);
            if (nseen < (int)(sizeof seen / sizeof seen[0]))
                seen[nseen++] = name;
            if (ctl_meas_set(x, name, optarg) != 0) {
                fprintf(stderr, "mvoictl: --%s\n", x->err);
                return CTL_EX_USAGE;
            }
        }
    }
    if (json_file) {
        /* the file is sent as it is: a field flag beside it was parsed and then dropped
         * without a word (`--json m.json --quantity 5` stored the file's quantity, exit 0) */
        if (x->nstrs)
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.meas_json_fields", argv[0]);
        if ((ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
            return ex;
        return s_load_json(ctl, json_file, json_msg);
    }
    if (ctl_meas_done(x, NULL, NULL) != 0) {   /* a field of another kind: not dropped */
        fprintf(stderr, "mvoictl: --%s\n", x->err);
        return CTL_EX_USAGE;
    }
    if (!x->m.id || !*x->m.id)   /* the service would refuse it as "...measurements[0].id" */
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.meas_need_id", argv[0]);
    if ((ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    if (!x->m.submitter) {
        const char *u = getenv("USER");
        ctl_meas_set(x, "submitter", u && *u ? u : "mvoictl");
    }
    if (!x->m.has_phase) {
        x->m.has_phase = 1;
        x->m.phase = MVOI__PHASE__PHASE_REALISATION;
    }
    return 0;
}

static int s_submit_like(ctl_t *ctl, int argc, char **argv, bool what_if, ctl_applied_t *at)
{
    ctl_meas_t x;
    Mvoi__SubmitMeasurements *jm = NULL;
    int ex = s_parse_fields(ctl, argc, argv, &x, &jm);
    if (ex) {   /* x holds what was parsed before the refusal */
        ctl_meas_fini(&x);
        return ex;
    }
    Mvoi__Measurement *mp = &x.m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    Mvoi__SubmitMeasurements *body = jm ? jm : &sm;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    char *json_lang = body->lang;   /* a --json batch's own, freed with it: put back */
    if (what_if) {
        body->lang = (char *)text_lang_name(ctl->tl);   /* of the calculation text */
        req.body_case = MVOI__ENVELOPE__BODY_COMPUTE_IMPACT;
        req.compute_impact = body;
    } else {
        req.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
        req.submit_measurements = body;
    }
    Mvoi__Envelope *r = NULL;
    ex = what_if ? ctl_call(ctl, "impact", &req, &r)
                 : ctl_call_settled(ctl, "impact", &req, &r);
    if (ex == 0 && (ex = s_print_reply(ctl, r)) == 0 && at)
        *at = (ctl_applied_t){ r->measurement_reply->seq,
                               r->has_incarnation ? r->incarnation : 0 };
    ctl_free(&r);
    body->lang = json_lang;
    if (jm)
        protobuf_c_message_free_unpacked(&jm->base, NULL);
    ctl_meas_fini(&x);
    return ex;
}

static int s_add(ctl_t *ctl, int argc, char **argv)
{
    bool wait = ctl_strip_flag(&argc, argv, "--wait");   /* until the totals include it */
    ctl_applied_t at = { 0, 0 };
    int ex = s_submit_like(ctl, argc, argv, false, &at);
    return ex == 0 && wait ? ctl_wait_applied(ctl, "impact", &at) : ex;
}
static int s_whatif(ctl_t *c, int n, char **v) { return s_submit_like(c, n, v, true, NULL); }

static int s_correct(ctl_t *ctl, int argc, char **argv)
{
    ctl_meas_t x;
    Mvoi__SubmitMeasurements *jm = NULL;
    int ex = s_parse_fields(ctl, argc, argv, &x, &jm);
    if (ex) {   /* x holds what was parsed before the refusal */
        ctl_meas_fini(&x);
        return ex;
    }
    /* a correction is of one measurement: a --json batch of three corrected the first and
     * dropped the others with exit 0; an empty one crashed */
    if (jm && jm->n_measurements != 1) {
        ex = ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.meas_correct_one", jm->n_measurements);
        protobuf_c_message_free_unpacked(&jm->base, NULL);
        ctl_meas_fini(&x);
        return ex;
    }
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
    int rest = optind, ex;
    if (!w.id && rest < argc)
        w.id = argv[rest++];
    /* one measurement per call: `withdraw m1 m2` withdrew m1 alone and said so with exit 0,
     * while m2 went on counting in the totals */
    if ((ex = ctl_no_operands(ctl, argc, argv, rest)) != CTL_EX_OK)
        return ex;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT;
    req.withdraw_measurement = &w;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "impact", &req, &r);
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
    int c, ex = CTL_EX_OK;
    optind = 0;
    while (ex == CTL_EX_OK && (c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (c == 't') l.tender_id = optarg;
        else if (c == 'o') { l.has_offset = 1; ex = CTL_OPT_OFFSET(ctl, optarg, &l.offset); }
        else if (c == 'l') { l.has_limit = 1; ex = CTL_OPT_LIMIT(ctl, optarg, &l.limit); }
        else return CTL_EX_USAGE;
    }
    if (ex != CTL_EX_OK)
        return ex;
    int rest = optind;
    if (!l.tender_id && rest < argc)   /* the tender as an operand: `measure list T-1` */
        l.tender_id = argv[rest++];
    if ((ex = ctl_no_operands(ctl, argc, argv, rest)) != CTL_EX_OK)
        return ex;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS;
    req.list_measurements = &l;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && !(ex = ctl_check_error(ctl, r))) {
        const Mvoi__MeasurementList *ml = r->measurement_list;
        if (ctl->json)
            ctl_print_json(stdout, &ml->base);
        else
            ctl_measure_print_list(ctl, ml);
    }
    ctl_free(&r);
    return ex;
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2) {
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.need_id", "measure show");
    }
    int ex = ctl_no_operands(ctl, argc, argv, 2);   /* one id: a second was not shown */
    if (ex != CTL_EX_OK)
        return ex;
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = argv[1];
    g.lang = (char *)text_lang_name(ctl->tl);   /* of the calculation text */
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    req.get_measurement = &g;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && !(ex = ctl_check_error(ctl, r))) {
        const Mvoi__MeasurementRecord *rec = r->measurement_record;
        if (ctl->json)
            ctl_print_json(stdout, &rec->base);
        else
            ctl_measure_print_record(ctl, rec);
    }
    ctl_free(&r);
    return ex;
}

static int s_factors(ctl_t *ctl, int argc, char **argv)
{
    int ex = ctl_no_operands(ctl, argc, argv, 1);
    if (ex != CTL_EX_OK)
        return ex;
    Mvoi__ListFactorTables l = MVOI__LIST_FACTOR_TABLES__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES;
    req.list_factor_tables = &l;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "impact", &req, &r);
    if (ex == 0 && !(ex = ctl_check_error(ctl, r))) {
        const Mvoi__FactorTableList *fl = r->factor_table_list;
        if (ctl->json)
            ctl_print_json(stdout, &fl->base);
        else
            ctl_measure_print_factors(ctl, fl);
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
    { "whatif", "--id ID --tender T --period A..B --kind K [FIELDS] | --json FILE|-",
      "compute the impact without storing anything", s_whatif },
    { "correct", "--id ID --reason TEXT [FIELDS]", "supersede a measurement (revision + 1)",
      s_correct },
    { "withdraw", "--id ID --reason TEXT", "withdraw a measurement", s_withdraw },
    { NULL },
};
