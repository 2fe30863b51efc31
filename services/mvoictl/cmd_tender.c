/*  mvoictl tender: the procurement calendar from the command line.
 *
 *  add/update by flags or from JSON (--json FILE|-, the Tender message as JSON), ambition,
 *  status, cancel, show, list, upcoming, and import of a CSV calendar or OCDS JSON through
 *  the running service (pipelined upserts, idempotent; --dry-run checks every cell and
 *  imports nothing). Tables for people, --json (global option) for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cal_client.h"
#include "cal_date.h"
#include "cal_file.h"
#include "cal_names.h"
#include "cal_str.h"
#include "csv_import.h"
#include "ctl.h"
#include "isv_map.h"
#include "ocds_import.h"
#include "pbjson.h"
#include "tender_rules.h"
#include "tender_util.h"
#include "thresholds.h"

#define S_SVC "calendar"
#define S_IMPORT_MAX_BYTES (1024u * 1024u * 1024u)

/* ------------------------------------------------------------------ output */

static void s_euros(char *buf, size_t len, int64_t cents)
{
    char digits[32];
    int64_t e = cents / 100, c = cents % 100;
    snprintf(digits, sizeof digits, "%lld", (long long)e);
    char grouped[48];
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            grouped[o++] = '.';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    snprintf(buf, len, "€ %s,%02lld", grouped, (long long)c);
}

static void s_person(char *buf, size_t len, const Mvoi__Person *p)
{
    if (!p) {
        snprintf(buf, len, "-");
        return;
    }
    if (!cal_str_empty(p->email))
        snprintf(buf, len, "%s <%s>", p->name ? p->name : "", p->email);
    else
        snprintf(buf, len, "%s", p->name ? p->name : "-");
}

static void s_print_tender(const Mvoi__Tender *t)
{
    char v[64], p[512];
    printf("%-16s %s\n", "id", t->id ? t->id : "");
    printf("%-16s %s\n", "title", t->title ? t->title : "");
    printf("%-16s %s\n", "buyer", t->buyer ? t->buyer : "");
    printf("%-16s %s (version %u)\n", "status", cal_status_name(t->status), t->version);
    if (t->cancel_reason)
        printf("%-16s %s\n", "cancel reason", t->cancel_reason);
    printf("%-16s %s\n", "kind", cal_kind_name(t->kind));
    if (t->has_value_cents) {
        s_euros(v, sizeof v, t->value_cents);
        printf("%-16s %s\n", "value", v);
    }
    printf("%-16s %s%s%s%s\n", "procedure",
           t->procedure ? cal_procedure_name(t->procedure) : "(not derived)",
           t->procedure_override ? " (set explicitly)" : "",
           t->threshold_period ? ", thresholds " : "",
           t->threshold_period ? t->threshold_period : "");
    printf("%-16s %s\n", "kick-off", t->kickoff_required ? "required" : "not required");
    printf("%-16s %s\n", "publication", t->planned_publication ? t->planned_publication : "-");
    printf("%-16s %s .. %s\n", "contract", t->contract_start ? t->contract_start : "?",
           t->contract_end ? t->contract_end : "?");
    printf("%-16s %s\n", "group", t->purchasing_group ? t->purchasing_group : "-");
    printf("%-16s %s\n", "cpv", t->cpv ? t->cpv : "-");
    s_person(p, sizeof p, t->project_leader);
    printf("%-16s %s\n", "project leader", p);
    s_person(p, sizeof p, t->budget_holder);
    printf("%-16s %s\n", "budget holder", p);
    s_person(p, sizeof p, t->procurement_adviser);
    printf("%-16s %s\n", "adviser", p);
    printf("%-16s", "themes");
    if (!t->n_themes)
        printf(" -");
    for (size_t i = 0; i < t->n_themes; i++)
        printf(" %s:%s", cal_theme_name(t->themes[i]->theme),
               t->themes[i]->commitment ? cal_commitment_name(t->themes[i]->commitment) : "?");
    printf("\n%-16s %s\n", "ambition", t->ambition_complete ? "complete" : "not complete");
    printf("%-16s", "sdgs");
    if (!t->n_sdgs)
        printf(" -");
    for (size_t i = 0; i < t->n_sdgs; i++)
        printf(" %u", t->sdgs[i]);
    printf("\n");
    if (t->has_sroi_pct_bp) {
        s_euros(v, sizeof v, t->sroi_obligation_cents);
        printf("%-16s %u.%02u %% = %s\n", "sroi", t->sroi_pct_bp / 100, t->sroi_pct_bp % 100, v);
    }
    if (t->sroi_exempt_reason)
        printf("%-16s %s\n", "sroi exemption", t->sroi_exempt_reason);
    printf("%-16s %s\n", "isv risk group", cal_str_empty(t->isv_risk_group) ? "-" : t->isv_risk_group);
    printf("%-16s %s\n", "pilot", t->pilot ? "yes" : "no");
    printf("%-16s %s\n", "source", t->source ? t->source : "-");
}

static void s_print_table(const Mvoi__TenderList *l, bool header)
{
    if (header)
        printf("%-20s %-10s %-10s %16s %-24s %-18s %s\n", "ID", "PUBLISH", "KIND", "VALUE",
           "PROCEDURE", "STATUS", "TITLE");
    for (size_t i = 0; i < l->n_tenders; i++) {
        const Mvoi__Tender *t = l->tenders[i];
        char v[64] = "-";
        if (t->has_value_cents)
            s_euros(v, sizeof v, t->value_cents);
        printf("%-20s %-10s %-10s %16s %-24s %-18s %s\n", t->id ? t->id : "",
               t->planned_publication ? t->planned_publication : "-", cal_kind_name(t->kind), v,
               t->procedure ? cal_procedure_name(t->procedure) : "-", cal_status_name(t->status),
               t->title ? t->title : "");
    }
}

/* Send body and check the reply; prints errors. Returns an exit code, *reply on 0. */
static int s_call(ctl_t *ctl, Mvoi__Envelope *req, Mvoi__Envelope **reply)
{
    int ex = ctl_call(ctl, S_SVC, req, reply);
    if (ex != 0)
        return ex;
    ex = ctl_check_error(ctl, *reply);
    if (ex != 0)
        ctl_free(reply);
    return ex;
}

static int s_show_reply(ctl_t *ctl, Mvoi__Envelope *r)
{
    if (r->body_case != MVOI__ENVELOPE__BODY_TENDER_REPLY || !r->tender_reply->tender) {
        fprintf(stderr, "mvoictl: unexpected reply from the calendar\n");
        return CTL_EX_SOFTWARE;
    }
    const Mvoi__TenderReply *tr = r->tender_reply;
    if (ctl->json) {
        ctl_print_json(stdout, &tr->base);
        return 0;
    }
    if (tr->has_outcome) {
        const char *o = tr->outcome == MVOI__UPSERT_OUTCOME__UPSERT_CREATED   ? "created"
                        : tr->outcome == MVOI__UPSERT_OUTCOME__UPSERT_UPDATED ? "updated"
                                                                                : "unchanged";
        fprintf(stderr, "%s (event seq %llu)\n", o, (unsigned long long)tr->seq);
    }
    s_print_tender(tr->tender);
    return 0;
}

/* ------------------------------------------------------------------ flag parsing */

static int s_usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "mvoictl tender: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return CTL_EX_USAGE;
}

/* "Name <email>", "email@x" or "Name". */
static int s_parse_person(Mvoi__Person **slot, const char *s)
{
    char buf[512];
    cal_str_copy(buf, sizeof buf, s);
    char *lt = strchr(buf, '<');
    if (lt) {
        char *gt = strchr(lt, '>');
        if (!gt)
            return -EINVAL;
        *gt = '\0';
        *lt = '\0';
        return tender_set_person(slot, cal_str_trim(buf), cal_str_trim(lt + 1));
    }
    cal_str_trim(buf);
    if (strchr(buf, '@') && !strchr(buf, ' '))
        return tender_set_person(slot, NULL, buf);
    return tender_set_person(slot, buf, NULL);
}

/* "klimaat:eis" -> theme + commitment */
static int s_parse_theme(const char *s, Mvoi__Theme *th, Mvoi__Commitment *c)
{
    char buf[128];
    cal_str_copy(buf, sizeof buf, s);
    char *colon = strchr(buf, ':');
    *c = MVOI__COMMITMENT__COMMIT_UNSPECIFIED;
    if (colon) {
        *colon = '\0';
        if (cal_commitment_parse(cal_str_trim(colon + 1), c) < 0)
            return -EINVAL;
    }
    return cal_theme_parse(cal_str_trim(buf), th);
}

/* "8,10, 12" appended to (arr, n) */
static int s_parse_sdgs(const char *s, uint32_t **arr, size_t *n)
{
    char buf[256];
    cal_str_copy(buf, sizeof buf, s);
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
        char *end;
        long v = strtol(tok, &end, 10);
        if (*end || v < 1 || v > 17)
            return -EINVAL;
        uint32_t *na = realloc(*arr, (*n + 1) * sizeof *na);
        if (!na)
            return -ENOMEM;
        *arr = na;
        (*arr)[(*n)++] = (uint32_t)v;
    }
    return 0;
}

static int s_read_all(const char *path, char **buf, size_t *len)
{
    if (strcmp(path, "-") == 0) {
        size_t cap = 65536, n = 0;
        char *b = malloc(cap + 1);
        if (!b)
            return -ENOMEM;
        size_t r;
        while ((r = fread(b + n, 1, cap - n, stdin)) > 0) {
            n += r;
            if (n == cap) {
                if (cap >= S_IMPORT_MAX_BYTES) {
                    free(b);
                    return -EFBIG;
                }
                cap *= 2;
                char *nb = realloc(b, cap + 1);
                if (!nb) {
                    free(b);
                    return -ENOMEM;
                }
                b = nb;
            }
        }
        b[n] = '\0';
        *buf = b;
        *len = n;
        return 0;
    }
    return cal_file_read(path, S_IMPORT_MAX_BYTES, buf, len);
}

static Mvoi__Tender *s_tender_from_json(const char *path, int *ex)
{
    char *text = NULL;
    size_t len = 0;
    int rc = s_read_all(path, &text, &len);
    if (rc < 0) {
        fprintf(stderr, "mvoictl: cannot read %s: %s\n", path, strerror(-rc));
        *ex = CTL_EX_NOINPUT;
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    free(text);
    if (!j) {
        fprintf(stderr, "mvoictl: %s:%d:%d: %s\n", path, je.line, je.column, je.text);
        *ex = CTL_EX_DATAERR;
        return NULL;
    }
    /* accept {"tender": {...}} too */
    json_t *inner = json_object_get(j, "tender");
    ProtobufCMessage *m = NULL;
    pbjson_error_t pe;
    rc = pbjson_decode(inner && json_is_object(inner) ? inner : j, &mvoi__tender__descriptor, &m,
                       &pe);
    json_decref(j);
    if (rc < 0) {
        fprintf(stderr, "error: tender.%s: %s\n", pe.field, pe.message);
        *ex = CTL_EX_DATAERR;
        return NULL;
    }
    return (Mvoi__Tender *)m;
}

enum {
    O_ID = 1000, O_TITLE, O_KIND, O_VALUE, O_PUB, O_START, O_END, O_GROUP, O_CPV, O_LEADER,
    O_BUDGET, O_ADVISER, O_THEME, O_SDG, O_SROI, O_EXEMPT, O_PILOT, O_PROC, O_SOURCE, O_JSON,
    O_EXPECTED, O_STATUS, O_REASON, O_YEAR, O_QUARTER, O_LIMIT, O_OFFSET, O_ALL, O_FROM,
    O_DAYS, O_DRY, O_WINDOW, O_FORMAT,
};

static const struct option s_tender_opts[] = {
    { "id", required_argument, NULL, O_ID },
    { "title", required_argument, NULL, O_TITLE },
    { "kind", required_argument, NULL, O_KIND },
    { "value", required_argument, NULL, O_VALUE },
    { "publication", required_argument, NULL, O_PUB },
    { "start", required_argument, NULL, O_START },
    { "end", required_argument, NULL, O_END },
    { "group", required_argument, NULL, O_GROUP },
    { "cpv", required_argument, NULL, O_CPV },
    { "leader", required_argument, NULL, O_LEADER },
    { "budget-holder", required_argument, NULL, O_BUDGET },
    { "adviser", required_argument, NULL, O_ADVISER },
    { "theme", required_argument, NULL, O_THEME },
    { "sdg", required_argument, NULL, O_SDG },
    { "sroi", required_argument, NULL, O_SROI },
    { "sroi-exempt", required_argument, NULL, O_EXEMPT },
    { "pilot", required_argument, NULL, O_PILOT },
    { "procedure", required_argument, NULL, O_PROC },
    { "source", required_argument, NULL, O_SOURCE },
    { "json", required_argument, NULL, O_JSON },
    { "expected-version", required_argument, NULL, O_EXPECTED },
    { NULL, 0, NULL, 0 },
};

/* Apply the flags of add/update onto t. Returns 0 or an exit code. */
static int s_apply_flags(Mvoi__Tender *t, int argc, char **argv, const char **json_path,
                         long *expected)
{
    int c;
    bool themes_reset = false, sdgs_reset = false;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", s_tender_opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case O_ID: rc = cal_str_set(&t->id, optarg); break;
        case O_TITLE: rc = cal_str_set(&t->title, optarg); break;
        case O_KIND:
            if (cal_kind_parse(optarg, &t->kind) < 0)
                return s_usage_err("--kind: '%s' is not leveringen, diensten or werken", optarg);
            t->has_kind = 1;
            break;
        case O_VALUE:
            if (csv_parse_amount_cents(optarg, &t->value_cents) < 0)
                return s_usage_err("--value: '%s' is not an amount (1.234.567,89 or 1234567.89)",
                                   optarg);
            t->has_value_cents = 1;
            break;
        case O_PUB:
        case O_START:
        case O_END: {
            char d[11];
            if (csv_parse_date(optarg, d) < 0)
                return s_usage_err("'%s' is not a date (dd-mm-jjjj or yyyy-mm-dd)", optarg);
            rc = cal_str_set(c == O_PUB ? &t->planned_publication
                             : c == O_START ? &t->contract_start : &t->contract_end, d);
            break;
        }
        case O_GROUP: rc = cal_str_set(&t->purchasing_group, optarg); break;
        case O_CPV: rc = cal_str_set(&t->cpv, optarg); break;
        case O_LEADER:
        case O_BUDGET:
        case O_ADVISER:
            rc = s_parse_person(c == O_LEADER ? &t->project_leader
                                : c == O_BUDGET ? &t->budget_holder : &t->procurement_adviser,
                                optarg);
            if (rc == -EINVAL)
                return s_usage_err("'%s' is not 'Name <e-mail>'", optarg);
            break;
        case O_THEME: {
            Mvoi__Theme th;
            Mvoi__Commitment cm;
            if (s_parse_theme(optarg, &th, &cm) < 0)
                return s_usage_err("--theme: '%s' is not THEME[:eis|gunning|innovatie]", optarg);
            if (!themes_reset) {
                for (size_t i = 0; i < t->n_themes; i++)
                    protobuf_c_message_free_unpacked(&t->themes[i]->base, NULL);
                free(t->themes);
                t->themes = NULL;
                t->n_themes = 0;
                themes_reset = true;
            }
            rc = tender_add_theme(t, th, cm) < 0 ? -ENOMEM : 0;
            break;
        }
        case O_SDG:
            if (!sdgs_reset) {
                free(t->sdgs);
                t->sdgs = NULL;
                t->n_sdgs = 0;
                sdgs_reset = true;
            }
            if (s_parse_sdgs(optarg, &t->sdgs, &t->n_sdgs) < 0)
                return s_usage_err("--sdg: '%s' is not a list of SDGs 1..17", optarg);
            break;
        case O_SROI:
            if (csv_parse_percent_bp(optarg, &t->sroi_pct_bp) < 0)
                return s_usage_err("--sroi: '%s' is not a percentage", optarg);
            t->has_sroi_pct_bp = 1;
            break;
        case O_EXEMPT: rc = cal_str_set(&t->sroi_exempt_reason, optarg); break;
        case O_PILOT: {
            bool b;
            if (csv_parse_bool(optarg, &b) < 0)
                return s_usage_err("--pilot: '%s' is not yes/no", optarg);
            t->has_pilot = 1;
            t->pilot = b;
            break;
        }
        case O_PROC:
            if (cal_procedure_parse(optarg, &t->procedure) < 0)
                return s_usage_err("--procedure: unknown procedure '%s'", optarg);
            t->has_procedure = 1;
            t->has_procedure_override = 1;
            t->procedure_override = 1;
            break;
        case O_SOURCE: rc = cal_str_set(&t->source, optarg); break;
        case O_JSON:
            if (json_path)
                *json_path = optarg;
            break;
        case O_EXPECTED:
            if (expected)
                *expected = atol(optarg);
            break;
        case ':': return s_usage_err("option %s needs a value", argv[optind - 1]);
        default: return s_usage_err("unknown option %s", argv[optind - 1]);
        }
        if (rc < 0)
            return CTL_EX_SOFTWARE;
    }
    return 0;
}

/* ------------------------------------------------------------------ verbs */

static int s_send_tender(ctl_t *ctl, Mvoi__Tender *t, bool update, long expected)
{
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    Mvoi__RegisterTender reg = MVOI__REGISTER_TENDER__INIT;
    Mvoi__UpdateTender up = MVOI__UPDATE_TENDER__INIT;
    if (update) {
        up.tender = t;
        if (expected > 0) {
            up.has_expected_version = 1;
            up.expected_version = (uint32_t)expected;
        }
        req.body_case = MVOI__ENVELOPE__BODY_UPDATE_TENDER;
        req.update_tender = &up;
    } else {
        reg.tender = t;
        req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
        req.register_tender = &reg;
    }
    Mvoi__Envelope *r = NULL;
    int ex = s_call(ctl, &req, &r);
    if (ex == 0) {
        ex = s_show_reply(ctl, r);
        ctl_free(&r);
    }
    return ex;
}

static int s_add(ctl_t *ctl, int argc, char **argv)
{
    const char *json_path = NULL;
    Mvoi__Tender *t = tender_new();
    if (!t)
        return CTL_EX_SOFTWARE;
    int ex = s_apply_flags(t, argc, argv, &json_path, NULL);
    if (ex == 0 && json_path) {
        tender_free(t);
        t = s_tender_from_json(json_path, &ex);
        if (t) {   /* flags after --json still override */
            ex = s_apply_flags(t, argc, argv, NULL, NULL);
        }
    }
    if (ex == 0 && optind < argc && cal_str_empty(t->id))
        ex = cal_str_set(&t->id, argv[optind]) < 0 ? CTL_EX_SOFTWARE : 0;
    if (ex == 0 && cal_str_empty(t->id))
        ex = s_usage_err("%s", "add needs --id (or a tender id argument)");
    if (ex == 0)
        ex = s_send_tender(ctl, t, false, 0);
    tender_free(t);
    return ex;
}

static Mvoi__Envelope *s_get(ctl_t *ctl, const char *id, int *ex)
{
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = (char *)id;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    req.get_tender = &g;
    Mvoi__Envelope *r = NULL;
    *ex = s_call(ctl, &req, &r);
    if (*ex == 0 && (r->body_case != MVOI__ENVELOPE__BODY_TENDER_REPLY || !r->tender_reply->tender)) {
        fprintf(stderr, "mvoictl: unexpected reply from the calendar\n");
        ctl_free(&r);
        *ex = CTL_EX_SOFTWARE;
    }
    return *ex == 0 ? r : NULL;
}

static int s_update(ctl_t *ctl, int argc, char **argv)
{
    /* the id: first non-option argument or --id; scan without consuming */
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
            id = argv[i + 1];
        else if (strncmp(argv[i], "--id=", 5) == 0)
            id = argv[i] + 5;
    }
    if (!id) {
        for (int i = 1; i < argc; i++) {
            if (argv[i][0] == '-') {
                if (!strchr(argv[i], '='))
                    i++;   /* every flag takes a value */
                continue;
            }
            id = argv[i];
            break;
        }
    }
    const char *json_path = NULL;
    long expected = 0;
    int ex;
    Mvoi__Tender *t = NULL;
    for (int i = 1; i < argc; i++)
        if ((strcmp(argv[i], "--json") == 0 && i + 1 < argc) || strncmp(argv[i], "--json=", 7) == 0)
            json_path = argv[i][6] == '=' ? argv[i] + 7 : argv[i + 1];
    if (json_path) {
        t = s_tender_from_json(json_path, &ex);
        if (!t)
            return ex;
        if (!id)
            id = t->id;
    }
    if (!id)
        return s_usage_err("%s", "update needs a tender id");
    Mvoi__Envelope *cur = s_get(ctl, id, &ex);
    if (!cur) {
        tender_free(t);
        return ex;
    }
    if (!t)
        t = tender_dup(cur->tender_reply->tender);
    expected = cur->tender_reply->tender->version;
    ctl_free(&cur);
    if (!t)
        return CTL_EX_SOFTWARE;
    long given = 0;
    ex = s_apply_flags(t, argc, argv, NULL, &given);
    if (given > 0)
        expected = given;
    if (ex == 0 && cal_str_empty(t->id))
        ex = cal_str_set(&t->id, id) < 0 ? CTL_EX_SOFTWARE : 0;
    if (ex == 0)
        ex = s_send_tender(ctl, t, true, expected);
    tender_free(t);
    return ex;
}

static int s_ambition(ctl_t *ctl, int argc, char **argv)
{
    /* reuse the tender flags for --theme/--sdg/--sroi/--sroi-exempt/--pilot */
    Mvoi__Tender *t = tender_new();
    if (!t)
        return CTL_EX_SOFTWARE;
    int ex = s_apply_flags(t, argc, argv, NULL, NULL);
    const char *id = optind < argc ? argv[optind] : t->id;
    if (ex == 0 && cal_str_empty(id))
        ex = s_usage_err("%s", "ambition needs a tender id");
    if (ex == 0 && !t->n_themes && !t->n_sdgs && !t->has_sroi_pct_bp && !t->sroi_exempt_reason &&
        !t->has_pilot)
        ex = s_usage_err("%s", "ambition needs --theme, --sdg, --sroi, --sroi-exempt or --pilot");
    if (ex != 0) {
        tender_free(t);
        return ex;
    }
    Mvoi__RecordAmbition ra = MVOI__RECORD_AMBITION__INIT;
    ra.tender_id = (char *)id;
    ra.n_themes = t->n_themes;
    ra.themes = t->themes;
    ra.n_sdgs = t->n_sdgs;
    ra.sdgs = t->sdgs;
    ra.has_sroi_pct_bp = t->has_sroi_pct_bp;
    ra.sroi_pct_bp = t->sroi_pct_bp;
    ra.sroi_exempt_reason = t->sroi_exempt_reason;
    if (t->has_pilot) {
        ra.has_pilot = 1;
        ra.pilot = t->pilot;
        ra.has_has_pilot_flag = 1;
        ra.has_pilot_flag = 1;
    }
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_RECORD_AMBITION;
    req.record_ambition = &ra;
    Mvoi__Envelope *r = NULL;
    ex = s_call(ctl, &req, &r);
    if (ex == 0) {
        ex = s_show_reply(ctl, r);
        ctl_free(&r);
    }
    tender_free(t);
    return ex;
}

static int s_status(ctl_t *ctl, int argc, char **argv)
{
    if (argc != 3)
        return s_usage_err("%s", "usage: tender status ID STATUS");
    Mvoi__ChangeStatus cs = MVOI__CHANGE_STATUS__INIT;
    cs.tender_id = argv[1];
    if (cal_status_parse(argv[2], &cs.status) < 0)
        return s_usage_err("unknown status '%s' (planned, kickoff_scheduled, ambition_recorded, "
                           "published, awarded, in_execution, completed)", argv[2]);
    cs.has_status = 1;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
    req.change_status = &cs;
    Mvoi__Envelope *r = NULL;
    int ex = s_call(ctl, &req, &r);
    if (ex == 0) {
        ex = s_show_reply(ctl, r);
        ctl_free(&r);
    }
    return ex;
}

static int s_cancel(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = { { "reason", required_argument, NULL, O_REASON },
                                       { NULL, 0, NULL, 0 } };
    const char *reason = NULL;
    int c;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        if (c == O_REASON)
            reason = optarg;
        else
            return s_usage_err("unknown option %s", argv[optind - 1]);
    }
    if (optind >= argc)
        return s_usage_err("%s", "usage: tender cancel ID --reason TEXT");
    const char *id = argv[optind++];
    char joined[512] = "";
    if (!reason && optind < argc) {   /* the rest of the line is the reason */
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                strncat(joined, " ", sizeof joined - strlen(joined) - 1);
            strncat(joined, argv[i], sizeof joined - strlen(joined) - 1);
        }
        reason = joined;
    }
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = (char *)id;
    ct.reason = (char *)reason;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    req.cancel_tender = &ct;
    Mvoi__Envelope *r = NULL;
    int ex = s_call(ctl, &req, &r);
    if (ex == 0) {
        ex = s_show_reply(ctl, r);
        ctl_free(&r);
    }
    return ex;
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    if (argc != 2)
        return s_usage_err("%s", "usage: tender show ID");
    int ex;
    Mvoi__Envelope *r = s_get(ctl, argv[1], &ex);
    if (!r)
        return ex;
    ex = s_show_reply(ctl, r);
    ctl_free(&r);
    return ex;
}

static int s_print_list(ctl_t *ctl, Mvoi__Envelope *r, bool header)
{
    if (r->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST) {
        fprintf(stderr, "mvoictl: unexpected reply from the calendar\n");
        return CTL_EX_SOFTWARE;
    }
    if (ctl->json)
        ctl_print_json(stdout, &r->tender_list->base);
    else
        s_print_table(r->tender_list, header);
    return 0;
}

static int s_list(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = {
        { "year", required_argument, NULL, O_YEAR },
        { "quarter", required_argument, NULL, O_QUARTER },
        { "status", required_argument, NULL, O_STATUS },
        { "theme", required_argument, NULL, O_THEME },
        { "group", required_argument, NULL, O_GROUP },
        { "procedure", required_argument, NULL, O_PROC },
        { "leader", required_argument, NULL, O_LEADER },
        { "limit", required_argument, NULL, O_LIMIT },
        { "offset", required_argument, NULL, O_OFFSET },
        { "all", no_argument, NULL, O_ALL },
        { NULL, 0, NULL, 0 },
    };
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    bool all = false;
    int c;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_YEAR: q.has_year = 1; q.year = (uint32_t)atoi(optarg); break;
        case O_QUARTER: q.has_quarter = 1; q.quarter = (uint32_t)atoi(optarg); break;
        case O_STATUS:
            if (cal_status_parse(optarg, &q.status) < 0)
                return s_usage_err("unknown status '%s'", optarg);
            q.has_status = 1;
            break;
        case O_THEME:
            if (cal_theme_parse(optarg, &q.theme) < 0)
                return s_usage_err("unknown theme '%s'", optarg);
            q.has_theme = 1;
            break;
        case O_GROUP: q.purchasing_group = optarg; break;
        case O_PROC:
            if (cal_procedure_parse(optarg, &q.procedure) < 0)
                return s_usage_err("unknown procedure '%s'", optarg);
            q.has_procedure = 1;
            break;
        case O_LEADER: q.project_leader = optarg; break;
        case O_LIMIT: q.has_limit = 1; q.limit = (uint32_t)atoi(optarg); break;
        case O_OFFSET: q.has_offset = 1; q.offset = (uint32_t)atoi(optarg); break;
        case O_ALL: all = true; break;
        case ':': return s_usage_err("option %s needs a value", argv[optind - 1]);
        default: return s_usage_err("unknown option %s", argv[optind - 1]);
        }
    }
    if (all && !q.has_limit) {
        q.has_limit = 1;
        q.limit = 1000;
    }
    bool first = true;
    uint32_t total = 0;
    for (;;) {
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
        req.list_tenders = &q;
        Mvoi__Envelope *r = NULL;
        int ex = s_call(ctl, &req, &r);
        if (ex != 0)
            return ex;
        ex = s_print_list(ctl, r, first);
        total = r->tender_list->total;
        uint32_t next = r->tender_list->next_offset;
        ctl_free(&r);
        if (ex != 0)
            return ex;
        first = false;
        if (!all || next == 0)
            break;
        q.has_offset = 1;
        q.offset = next;
    }
    if (!ctl->json)
        fprintf(stderr, "%u tender(s)\n", total);
    return 0;
}

static int s_upcoming(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = {
        { "from", required_argument, NULL, O_FROM },
        { "days", required_argument, NULL, O_DAYS },
        { "limit", required_argument, NULL, O_LIMIT },
        { NULL, 0, NULL, 0 },
    };
    Mvoi__UpcomingTenders q = MVOI__UPCOMING_TENDERS__INIT;
    char from[11];
    int c;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_FROM:
            if (csv_parse_date(optarg, from) < 0)
                return s_usage_err("--from: '%s' is not a date", optarg);
            q.from_date = from;
            break;
        case O_DAYS: q.has_days = 1; q.days = (uint32_t)atoi(optarg); break;
        case O_LIMIT: q.has_limit = 1; q.limit = (uint32_t)atoi(optarg); break;
        default: return s_usage_err("unknown option %s", argv[optind - 1]);
        }
    }
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_UPCOMING_TENDERS;
    req.upcoming_tenders = &q;
    Mvoi__Envelope *r = NULL;
    int ex = s_call(ctl, &req, &r);
    if (ex != 0)
        return ex;
    ex = s_print_list(ctl, r, true);
    if (!ctl->json && ex == 0)
        fprintf(stderr, "%u upcoming\n", r->tender_list->total);
    ctl_free(&r);
    return ex;
}

/* ------------------------------------------------------------------ import */

/* a cell for "row;column;value;reason" output: quoted when it holds ';', '"' or a newline */
static void s_cell(FILE *out, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ";\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p == '\r' || *p == '\n' ? ' ' : *p, out);
    }
    fputc('"', out);
}

static void s_progress(void *arg, size_t done, size_t total)
{
    (void)arg;
    fprintf(stderr, "\rimporting %zu/%zu", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static bool s_looks_json(const char *path, const char *buf, size_t len)
{
    size_t pl = strlen(path);
    if (pl > 5 && strcmp(path + pl - 5, ".json") == 0)
        return true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == 0xEF && i + 2 < len)   /* BOM */
            return buf[i + 3] == '{' || buf[i + 3] == '[';
        return c == '{' || c == '[';
    }
    return false;
}

static int s_import(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = {
        { "dry-run", no_argument, NULL, O_DRY },
        { "window", required_argument, NULL, O_WINDOW },
        { "format", required_argument, NULL, O_FORMAT },
        { NULL, 0, NULL, 0 },
    };
    bool dry = false;
    unsigned window = 500;
    const char *format = NULL;
    int c;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_DRY: dry = true; break;
        case O_WINDOW: window = (unsigned)atoi(optarg); break;
        case O_FORMAT: format = optarg; break;
        case ':': return s_usage_err("option %s needs a value", argv[optind - 1]);
        default: return s_usage_err("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return s_usage_err("%s", "usage: tender import FILE.csv|FILE.json|- [--dry-run]");
    const char *path = argv[optind];
    char *buf = NULL;
    size_t len = 0;
    int rc = s_read_all(path, &buf, &len);
    if (rc < 0) {
        fprintf(stderr, "mvoictl: cannot read %s: %s\n", path, strerror(-rc));
        return CTL_EX_NOINPUT;
    }
    bool json = format ? strcmp(format, "ocds") == 0 || strcmp(format, "json") == 0
                       : s_looks_json(path, buf, len);

    /* threshold tables: a dry run also derives, so that it reports what the service would */
    const char *dir = getenv("MVOI_CALENDAR_DATA_FILES");
    if (!dir || !*dir)
        dir = MVOI_CALENDAR_DATA_DIR_SRC;
    thresholds_t *th = NULL;
    isv_map_t *isv = NULL;
    char today[11];
    {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        cal_date_format(today, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
    if (dry) {
        char err[256];
        if (thresholds_load_dir(dir, &th, err, sizeof err) < 0)
            th = NULL;
        else if (isv_map_load_dir(dir, &isv, err, sizeof err) < 0)
            isv = NULL;
    }

    Mvoi__Tender **tenders = NULL;
    size_t n = 0, nerr = 0, rows = 0;
    csv_import_t ci = { 0 };
    ocds_import_t *oi = NULL;
    ocds_result_t orr = { 0 };
    int ex = 0;
    FILE *errout = dry ? stdout : stderr;
    if (!json) {
        csv_import_opts_t co = { .default_buyer = ctl->buyer, .thresholds = th, .isv = isv,
                                 .today = today };
        rc = csv_import_parse(buf, len, &co, &ci);
        if (rc == -ENOMEM) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
        for (size_t i = 0; i < ci.n_errors; i++) {
            const csv_cell_error_t *e = &ci.errors[i];
            fprintf(errout, "%zu;", e->row);
            s_cell(errout, e->column);
            fputc(';', errout);
            s_cell(errout, e->value);
            fputc(';', errout);
            s_cell(errout, e->reason);
            fputc('\n', errout);
        }
        if (rc < 0) {
            fprintf(stderr, "mvoictl: %s cannot be imported\n", path);
            ex = CTL_EX_DATAERR;
            goto done;
        }
        tenders = ci.tenders;
        n = ci.n_tenders;
        nerr = ci.n_errors;
        rows = ci.rows;
    } else {
        char err[256];
        if (ocds_import_new(&oi) < 0) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
        rc = ocds_import_add_json(oi, buf, len, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "mvoictl: %s: %s\n", path, err);
            ex = CTL_EX_DATAERR;
            goto done;
        }
        ocds_import_opts_t oo = { .default_buyer = ctl->buyer, .thresholds = th, .isv = isv,
                                  .today = today };
        if (ocds_import_compile(oi, &oo, &orr) < 0) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
        for (size_t i = 0; i < orr.n_warnings; i++)
            fprintf(stderr, "warning: %s: %s: %s\n", orr.warnings[i].ocid, orr.warnings[i].field,
                    orr.warnings[i].message);
        /* the service checks each tender again; check here so that a dry run says it */
        for (size_t i = 0; i < orr.n_tenders; i++) {
            tender_error_t te = { 0 };
            Mvoi__Tender *t = orr.tenders[i];
            if (!cal_str_empty(t->buyer) && strcmp(t->buyer, ctl->buyer) != 0 &&
                cal_str_set(&t->buyer, ctl->buyer) < 0) {
                ex = CTL_EX_SOFTWARE;
                goto done;
            }
            if (tender_validate(t, &te) < 0) {
                fprintf(errout, "%zu;", i + 1);
                s_cell(errout, te.field);
                fputc(';', errout);
                s_cell(errout, t->id);
                fputc(';', errout);
                s_cell(errout, te.message);
                fputc('\n', errout);
                nerr++;
            }
        }
        tenders = orr.tenders;
        n = orr.n_tenders;
        rows = orr.n_tenders;
    }
    if (dry) {
        fprintf(stderr, "%zu row(s), %zu valid, %zu error(s); nothing imported (dry run)\n", rows,
                n, nerr);
        ex = nerr ? CTL_EX_DATAERR : CTL_EX_OK;
        goto done;
    }
    if (nerr) {
        fprintf(stderr, "mvoictl: %zu error(s) in %s (row;column;value;reason above); nothing "
                        "imported\n", nerr, path);
        ex = CTL_EX_DATAERR;
        goto done;
    }
    /* OCDS tenders belong to the publisher's buyer; this import files them under ours */
    for (size_t i = 0; json && i < n; i++)
        if (cal_str_set(&tenders[i]->buyer, ctl->buyer) < 0) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
    char prefix[48], run[64];
    cal_import_prefix(ctl->buyer, buf, len, prefix, sizeof prefix);
    ctl_request_id(run, sizeof run, "import");
    cal_import_opts_t io = {
        .endpoint = ctl_endpoint(S_SVC), .buyer = ctl->buyer, .rid_prefix = prefix,
        .run_id = run, .window = window, .timeout_ms = ctl->timeout_ms,
        .progress = isatty(2) ? s_progress : NULL,
    };
    cal_import_result_t res;
    rc = cal_import_send(&io, tenders, NULL, n, &res);
    for (size_t i = 0; i < res.n_failures; i++) {
        const cal_import_failure_t *f = &res.failures[i];
        const char *id = f->key >= 1 && f->key <= n ? tenders[f->key - 1]->id : "?";
        fprintf(stderr, "failed: %s: %s%s%s\n", id ? id : "?", f->field, f->field[0] ? ": " : "",
                f->message);
    }
    if (ctl->json) {
        printf("{\"rows\": %zu, \"created\": %zu, \"updated\": %zu, \"unchanged\": %zu, "
               "\"repeated\": %zu, \"failed\": %zu}\n", n, res.created, res.updated,
               res.unchanged, res.repeated, res.failed);
    } else {
        printf("%zu row(s): %zu created, %zu updated, %zu unchanged, %zu failed\n", n,
               res.created, res.updated, res.unchanged, res.failed);
        if (res.repeated)
            printf("(%zu of the unchanged were already imported from this very file)\n",
                   res.repeated);
    }
    ex = rc == -EHOSTUNREACH || res.unavailable ? CTL_EX_UNAVAILABLE
         : rc < 0                               ? CTL_EX_SOFTWARE
         : res.failed                           ? CTL_EX_DATAERR
                                                : CTL_EX_OK;
    if (res.unavailable)
        fprintf(stderr, "mvoictl: the calendar at %s stopped answering\n", io.endpoint);
    cal_import_result_clear(&res);
done:
    csv_import_clear(&ci);
    ocds_result_clear(&orr);
    ocds_import_destroy(&oi);
    thresholds_destroy(&th);
    isv_map_destroy(&isv);
    free(buf);
    return ex;
}

const ctl_cmd_t ctl_tender_cmds[] = {
    { "add", "--id ID --title T --kind K [--value 1.234,56] [--publication DATE] [--group G] "
             "[--cpv C] [--leader 'Name <e-mail>'] [--theme klimaat:eis]... | --json FILE|-",
      "register a tender", s_add },
    { "update", "ID [flags as for add] [--expected-version N] | --json FILE|-",
      "change a tender (optimistic: refused if it changed meanwhile)", s_update },
    { "ambition", "ID --theme THEME:eis|gunning|innovatie... [--sdg 8,13] [--sroi 5%] "
                  "[--sroi-exempt REASON] [--pilot yes|no]",
      "record the ambition per theme", s_ambition },
    { "status", "ID STATUS", "move a tender through its lifecycle", s_status },
    { "cancel", "ID --reason TEXT", "cancel a tender", s_cancel },
    { "show", "ID", "one tender", s_show },
    { "list", "[--year Y [--quarter Q]] [--status S] [--theme T] [--group G] [--procedure P] "
              "[--leader NAME] [--limit N] [--offset N] [--all]",
      "tenders by planned publication", s_list },
    { "upcoming", "[--from DATE] [--days N] [--limit N]",
      "tenders to be published soon", s_upcoming },
    { "import", "FILE.csv|FILE.json|- [--dry-run] [--format csv|ocds] [--window N]",
      "import a calendar (CSV) or OCDS releases/records; idempotent", s_import },
    { NULL },
};
