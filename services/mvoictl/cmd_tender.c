/*  mvoictl tender: the procurement calendar from the command line.
 *
 *  add/update by flags or from JSON (--json FILE|-, the Tender message as JSON), ambition,
 *  status, cancel, show, list, upcoming, and import of a CSV calendar or OCDS JSON through
 *  the running service (pipelined upserts, idempotent; --dry-run checks every cell and
 *  imports nothing). Tables for people, --json (global option) for scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_contract.h"
#include "cal_str.h"
#include "cmd_tender.h"
#include "csv_import.h"
#include "tender_util.h"

/* ------------------------------------------------------------------ verbs */

/* A refused field named as the flag the adviser typed ("--sroi: SROI 9,00 % ligt buiten
 * 2-5 %"), not as the calendar's field ("sroi_pct_bp"); set when the tender came from flags
 * (with --json the file's field names are the ones the user wrote). */
static const char *const s_field_flags[] = {
    "title", "--title", "kind", "--kind", "value_cents", "--value",
    "planned_publication", "--publication", "contract_start", "--start",
    "contract_end", "--end", "purchasing_group", "--group", "cpv", "--cpv",
    "project_leader", "--leader", "budget_holder", "--budget-holder",
    "procurement_adviser", "--adviser", "themes", "--theme", "sdgs", "--sdg",
    "sroi_pct_bp", "--sroi", "sroi_exempt_reason", "--sroi-exempt", "pilot", "--pilot",
    "procedure", "--procedure", "procedure_override", "--procedure", "source", "--source",
    "expected_version", "--expected-version", "reason", "--reason",
    "tender_id", "id",   /* the ID argument, named as the add's and show's field */
    NULL,
};

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
    int ex = ctl_tender_call(ctl, &req, &r);
    if (ex == 0) {
        ex = ctl_tender_show_reply(ctl, r);
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
    int ex = ctl_tender_apply_flags(ctl, t, argc, argv, &json_path, NULL);
    if (ex == 0 && json_path) {
        tender_free(t);
        t = ctl_tender_from_json(ctl, json_path, &ex);
        if (t) {   /* flags after --json still override */
            ex = ctl_tender_apply_flags(ctl, t, argc, argv, NULL, NULL);
        }
    }
    if (ex == 0 && optind < argc && cal_str_empty(t->id))
        ex = cal_str_set(&t->id, argv[optind]) < 0 ? CTL_EX_SOFTWARE : 0;
    if (ex == 0 && cal_str_empty(t->id))
        ex = ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.add_id");
    ctl->field_flags = json_path ? NULL : s_field_flags;
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
    *ex = ctl_tender_call(ctl, &req, &r);
    if (*ex == 0 && (r->body_case != MVOI__ENVELOPE__BODY_TENDER_REPLY || !r->tender_reply->tender)) {
        ctl_free(&r);
        *ex = ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
    }
    return *ex == 0 ? r : NULL;
}

/* The flags of update parsed onto a scratch tender: 0, or the exit code of the first bad one
 * (named on stderr). */
static int s_flags_check(ctl_t *ctl, int argc, char **argv)
{
    Mvoi__Tender *scratch = tender_new();
    if (!scratch)
        return CTL_EX_SOFTWARE;
    long given = 0;
    int ex = ctl_tender_apply_flags(ctl, scratch, argc, argv, NULL, &given);
    tender_free(scratch);
    return ex;
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
        t = ctl_tender_from_json(ctl, json_path, &ex);
        if (!t)
            return ex;
        if (!id)
            id = t->id;
    }
    if (!id)
        ex = ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.need_id", "update");
    else   /* a bad flag is named before the calendar is asked (and when it is down) */
        ex = s_flags_check(ctl, argc, argv);
    if (ex != 0) {
        tender_free(t);
        return ex;
    }
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
    ex = ctl_tender_apply_flags(ctl, t, argc, argv, NULL, &given);
    if (given > 0)
        expected = given;
    if (ex == 0 && cal_str_empty(t->id))
        ex = cal_str_set(&t->id, id) < 0 ? CTL_EX_SOFTWARE : 0;
    ctl->field_flags = json_path ? NULL : s_field_flags;
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
    int ex = ctl_tender_apply_flags(ctl, t, argc, argv, NULL, NULL);
    const char *id = optind < argc ? argv[optind] : t->id;
    if (ex == 0 && cal_str_empty(id))
        ex = ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.need_id", "ambition");
    if (ex == 0 && !t->n_themes && !t->n_sdgs && !t->has_sroi_pct_bp && !t->sroi_exempt_reason &&
        !t->has_pilot)
        ex = ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.ambition_what");
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
    ctl->field_flags = s_field_flags;
    Mvoi__Envelope *r = NULL;
    ex = ctl_tender_call(ctl, &req, &r);
    if (ex == 0) {
        ex = ctl_tender_show_reply(ctl, r);
        ctl_free(&r);
    }
    tender_free(t);
    return ex;
}

static int s_status(ctl_t *ctl, int argc, char **argv)
{
    if (argc != 3)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.status_usage");
    Mvoi__ChangeStatus cs = MVOI__CHANGE_STATUS__INIT;
    cs.tender_id = argv[1];
    if (mvoi_status_parse(argv[2], &cs.status) < 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.status", argv[2]);
    cs.has_status = 1;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
    req.change_status = &cs;
    ctl->field_flags = s_field_flags;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_tender_call(ctl, &req, &r);
    if (ex == 0) {
        ex = ctl_tender_show_reply(ctl, r);
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
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_unknown", argv[optind - 1]);
    }
    if (optind >= argc)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.cancel_usage");
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
    ctl->field_flags = s_field_flags;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_tender_call(ctl, &req, &r);
    if (ex == 0) {
        ex = ctl_tender_show_reply(ctl, r);
        ctl_free(&r);
    }
    return ex;
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    if (argc != 2)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.show_usage");
    int ex;
    Mvoi__Envelope *r = s_get(ctl, argv[1], &ex);
    if (!r)
        return ex;
    ex = ctl_tender_show_reply(ctl, r);
    ctl_free(&r);
    return ex;
}

/* The pages of a list (one, or with all every one): printed as they come, or with --all
 * --json kept and printed as one document. 0 with *total (the calendar's count), or an
 * exit code after the message. */
static int s_list_pages(ctl_t *ctl, Mvoi__ListTenders *q, bool all, uint32_t *total)
{
    int ex = CTL_EX_OK;
    bool first = true;
    ctl_tender_pages_t pages = { 0 };   /* --all --json: one document (cmd_tender_pages.c) */
    for (;;) {
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
        req.list_tenders = q;
        Mvoi__Envelope *r = NULL;
        ex = ctl_tender_call(ctl, &req, &r);
        if (ex == 0 && r->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST)
            ex = ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
        if (ex != 0) {
            ctl_free(&r);
            ctl_tender_pages_clear(&pages);
            return ex;
        }
        *total = r->tender_list->total;
        uint32_t next = r->tender_list->next_offset;
        ex = all && ctl->json ? ctl_tender_pages_keep(ctl, &pages, &r)
                              : ctl_tender_print_list(ctl, r, first);
        ctl_free(&r);
        if (ex != 0) {
            ctl_tender_pages_clear(&pages);
            return ex;
        }
        first = false;
        if (!all || next == 0)
            break;
        q->has_offset = 1;
        q->offset = next;
    }
    if (all && ctl->json) {
        ex = ctl_tender_pages_print(ctl, &pages);
        ctl_tender_pages_clear(&pages);
    }
    return ex;
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
    int c, ex = CTL_EX_OK;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    /* has_year/has_quarter/has_limit say "given"; a typed 0 is refused, never "all years" */
    while (ex == CTL_EX_OK && (c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_YEAR: q.has_year = 1; ex = ctl_opt_u32(ctl, "year", optarg, 1900, 2999, &q.year); break;
        case O_QUARTER: q.has_quarter = 1; ex = ctl_opt_u32(ctl, "quarter", optarg, 1, 4, &q.quarter); break;
        case O_STATUS:
            if (mvoi_status_parse(optarg, &q.status) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.status", optarg);
            q.has_status = 1;
            break;
        case O_THEME:
            if (mvoi_theme_parse(optarg, &q.theme) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.theme_name", optarg);
            q.has_theme = 1;
            break;
        case O_GROUP: q.purchasing_group = optarg; break;
        case O_PROC:
            if (mvoi_procedure_parse(optarg, &q.procedure) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.procedure", "procedure", optarg);
            q.has_procedure = 1;
            break;
        case O_LEADER: q.project_leader = optarg; break;
        case O_LIMIT: q.has_limit = 1; ex = CTL_OPT_LIMIT(ctl, optarg, &q.limit); break;
        case O_OFFSET: q.has_offset = 1; ex = CTL_OPT_OFFSET(ctl, optarg, &q.offset); break;
        case O_ALL: all = true; break;
        case ':': return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_value", argv[optind - 1]);
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_unknown", argv[optind - 1]);
        }
    }
    if (ex != CTL_EX_OK || (ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    if (all && !q.has_limit) {
        q.has_limit = 1;
        q.limit = 1000;
    }
    uint32_t total = 0;
    if ((ex = s_list_pages(ctl, &q, all, &total)) != 0 || (all && ctl->json))
        return ex;
    if (!ctl->json) {
        /* stdout first: with both on one terminal or file the count follows the table on a
         * line of its own, never glued to the last title */
        (void)ctl_out_flush();
        fprintf(stderr, ctl_text(ctl, total == 1 ? "ctl.tender.count.one" : "ctl.tender.count"),
                total);
        fputc('\n', stderr);
    }
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
    int c, ex = CTL_EX_OK;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while (ex == CTL_EX_OK && (c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_FROM:
            if (csv_parse_date(optarg, from) < 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.date", "from", optarg);
            q.from_date = from;
            break;
        /* 1..3660: the calendar's TENDER_UPCOMING_MAX_DAYS; 0 would mean its default */
        case O_DAYS: q.has_days = 1; ex = ctl_opt_u32(ctl, "days", optarg, 1, 3660, &q.days); break;
        case O_LIMIT: q.has_limit = 1; ex = CTL_OPT_LIMIT(ctl, optarg, &q.limit); break;
        case ':': return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_value", argv[optind - 1]);
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.tender.opt_unknown", argv[optind - 1]);
        }
    }
    if (ex != CTL_EX_OK || (ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_UPCOMING_TENDERS;
    req.upcoming_tenders = &q;
    Mvoi__Envelope *r = NULL;
    ex = ctl_tender_call(ctl, &req, &r);
    if (ex != 0)
        return ex;
    ex = ctl_tender_print_list(ctl, r, true);
    if (!ctl->json && ex == 0) {
        (void)ctl_out_flush();   /* the count after the table, as in list */
        fprintf(stderr, ctl_text(ctl, "ctl.tender.count.upcoming"), r->tender_list->total);
        fputc('\n', stderr);
    }
    ctl_free(&r);
    return ex;
}
const ctl_cmd_t ctl_tender_cmds[] = {
    /* every flag add takes (cmd_tender_flags.c): --start, --end, --budget-holder, --adviser,
     * --procedure, --source and the ambition's were accepted but not shown */
    { "add", "--id ID --title T --kind K [--value 1.234,56] [--publication DATE] [--start DATE] "
             "[--end DATE] [--group G] [--cpv C] [--leader 'Name <e-mail>'] "
             "[--budget-holder 'Name <e-mail>'] [--adviser 'Name <e-mail>'] "
             "[--theme klimaat:eis]... [--sdg 8,13] [--sroi 5%] [--sroi-exempt REASON] "
             "[--pilot yes|no] [--procedure P] [--source S] | --json FILE|-",
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
    { "import", "FILE.csv|FILE.json|- [--dry-run] [--format csv|ocds] [--window N] "
      "[--date-order dmy|mdy]",
      "import a calendar (CSV) or OCDS releases/records; idempotent (--window: tenders in "
      "flight, default 8000); --dry-run: what each row would become, nothing written",
      ctl_tender_import },
    { NULL },
};
