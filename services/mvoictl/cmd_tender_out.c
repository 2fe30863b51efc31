/*  mvoictl tender: calling the calendar and printing its replies (a table or the fields of
 *  one tender for people, JSON with --json). */
#include <stdio.h>
#include <string.h>

#include "mvoi_contract.h"
#include "cal_str.h"
#include "cmd_tender.h"

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
    printf("%-16s %s (version %u)\n", "status", mvoi_status_name(t->status), t->version);
    if (t->cancel_reason)
        printf("%-16s %s\n", "cancel reason", t->cancel_reason);
    printf("%-16s %s\n", "kind", mvoi_kind_name(t->kind));
    if (t->has_value_cents) {
        s_euros(v, sizeof v, t->value_cents);
        printf("%-16s %s\n", "value", v);
    }
    printf("%-16s %s%s%s%s\n", "procedure",
           t->procedure ? mvoi_procedure_name(t->procedure) : "(not derived)",
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
        printf(" %s:%s", mvoi_theme_name(t->themes[i]->theme),
               t->themes[i]->commitment ? mvoi_commitment_name(t->themes[i]->commitment) : "?");
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
               t->planned_publication ? t->planned_publication : "-", mvoi_kind_name(t->kind), v,
               t->procedure ? mvoi_procedure_name(t->procedure) : "-", mvoi_status_name(t->status),
               t->title ? t->title : "");
    }
}

/* Send body and check the reply; prints errors. Returns an exit code, *reply on 0. */
int ctl_tender_call(ctl_t *ctl, Mvoi__Envelope *req, Mvoi__Envelope **reply)
{
    int ex = ctl_call(ctl, CTL_TENDER_SVC, req, reply);
    if (ex != 0)
        return ex;
    ex = ctl_check_error(ctl, *reply);
    if (ex != 0)
        ctl_free(reply);
    return ex;
}

int ctl_tender_show_reply(ctl_t *ctl, Mvoi__Envelope *r)
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
int ctl_tender_print_list(ctl_t *ctl, Mvoi__Envelope *r, bool header)
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
