/*  mvoictl tender: the flags of add/update/ambition onto a Tender, and a Tender from JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cal_file.h"
#include "mvoi_contract.h"
#include "cal_str.h"
#include "cmd_tender.h"
#include "csv_import.h"
#include "pbjson.h"
#include "tender_util.h"

int ctl_tender_usage_err(const char *fmt, const char *arg)
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
        if (mvoi_commitment_parse(cal_str_trim(colon + 1), c) < 0)
            return -EINVAL;
    }
    return mvoi_theme_parse(cal_str_trim(buf), th);
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

int ctl_tender_read_all(const char *path, char **buf, size_t *len)
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
                if (cap >= CTL_TENDER_MAX_BYTES) {
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
        if (ferror(stdin)) {   /* not the end of the sheet: a shortened one would be imported */
            free(b);
            return -EIO;
        }
        b[n] = '\0';
        *buf = b;
        *len = n;
        return 0;
    }
    return cal_file_read(path, CTL_TENDER_MAX_BYTES, buf, len);
}

Mvoi__Tender *ctl_tender_from_json(const ctl_t *ctl, const char *path, int *ex)
{
    char *text = NULL;
    size_t len = 0;
    int rc = ctl_tender_read_all(path, &text, &len);
    if (rc < 0) {
        *ex = ctl_fail(ctl, CTL_EX_NOINPUT, "ctl.import.cannot_read", path, strerror(-rc));
        return NULL;
    }
    json_error_t je;
    /* a field twice ("value_cents" of two amounts) is refused, as a flag twice is: jansson
     * kept the last without a word */
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!j) {
        *ex = ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.json_at", path, je.line, je.text);
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
        char field[8 + sizeof pe.field];   /* "tender." + the path: never cut */
        snprintf(field, sizeof field, "tender.%s", pe.field);
        *ex = ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.json_field", path, field, pe.message);
        return NULL;
    }
    return (Mvoi__Tender *)m;
}

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

/* --theme THEME[:commitment]: the first one replaces the tender's themes. 0, an exit code
 * (> 0) or -ENOMEM. */
static int s_flag_theme(const ctl_t *ctl, Mvoi__Tender *t, const char *arg, bool *reset)
{
    Mvoi__Theme th;
    Mvoi__Commitment cm;
    if (s_parse_theme(arg, &th, &cm) < 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.theme", arg);
    if (!*reset) {
        for (size_t i = 0; i < t->n_themes; i++)
            protobuf_c_message_free_unpacked(&t->themes[i]->base, NULL);
        free(t->themes);
        t->themes = NULL;
        t->n_themes = 0;
        *reset = true;
    }
    return tender_add_theme(t, th, cm) < 0 ? -ENOMEM : 0;
}

/* --sdg LIST: the first one replaces the tender's SDGs. 0 or an exit code. */
static int s_flag_sdgs(const ctl_t *ctl, Mvoi__Tender *t, const char *arg, bool *reset)
{
    if (!*reset) {
        free(t->sdgs);
        t->sdgs = NULL;
        t->n_sdgs = 0;
        *reset = true;
    }
    if (s_parse_sdgs(arg, &t->sdgs, &t->n_sdgs) < 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.sdg", arg);
    return 0;
}

/* Apply the flags of add/update onto t. Returns 0 or an exit code. */
int ctl_tender_apply_flags(const ctl_t *ctl, Mvoi__Tender *t, int argc, char **argv, const char **json_path,
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
            if (mvoi_kind_parse(optarg, &t->kind) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.kind", optarg);
            t->has_kind = 1;
            break;
        case O_VALUE:
            if (csv_parse_amount_cents(optarg, &t->value_cents) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.value", optarg);
            t->has_value_cents = 1;
            break;
        case O_PUB:
        case O_START:
        case O_END: {
            char d[11];
            if (csv_parse_date(optarg, d) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.date",
                                c == O_PUB ? "publication" : c == O_START ? "start" : "end", optarg);
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
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.person",
                                c == O_LEADER ? "leader" : c == O_BUDGET ? "budget-holder" : "adviser",
                                optarg);
            break;
        case O_THEME:
            if ((rc = s_flag_theme(ctl, t, optarg, &themes_reset)) > 0)
                return rc;
            break;
        case O_SDG:
            if ((rc = s_flag_sdgs(ctl, t, optarg, &sdgs_reset)) > 0)
                return rc;
            break;
        case O_SROI:
            if (csv_parse_percent_bp(optarg, &t->sroi_pct_bp) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.sroi", optarg);
            t->has_sroi_pct_bp = 1;
            break;
        case O_EXEMPT: rc = cal_str_set(&t->sroi_exempt_reason, optarg); break;
        case O_PILOT: {
            bool b;
            if (csv_parse_bool(optarg, &b) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.pilot", optarg);
            t->has_pilot = 1;
            t->pilot = b;
            break;
        }
        case O_PROC:
            if (mvoi_procedure_parse(optarg, &t->procedure) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.procedure", "procedure", optarg);
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
            /* atol made "abc" 0, which meant "the version just read": the guard against
             * overwriting someone else's change was off without a word */
            if (expected && ctl_parse_int(optarg, 1, 4294967295L, expected) != 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.opt_int", "expected-version", optarg,
                                1L, 4294967295L);
            break;
        case ':': return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_value", argv[optind - 1]);
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_unknown", argv[optind - 1]);
        }
        if (rc < 0)
            return CTL_EX_SOFTWARE;
    }
    return 0;
}
