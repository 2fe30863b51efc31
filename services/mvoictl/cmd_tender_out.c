/*  mvoictl tender: calling the calendar and printing its replies (a table or the fields of
 *  one tender for people, JSON with --json). */
#include <stdio.h>
#include <string.h>

#include "mvoi_contract.h"
#include "cal_date.h"
#include "cal_str.h"
#include "datewords.h"
#include "numfmt.h"
#include "cmd_tender.h"

/* Money as the reader writes it: "€ 1.234,56" (Dutch), "€ 1,234.56" (English); numfmt
 * rounds nothing here (cents, two decimals) and keeps the sign of a negative amount. */
static void s_euros(const ctl_t *ctl, char *buf, size_t len, int64_t cents)
{
    char n[48];
    numfmt_fixed(n, sizeof n, cents, 2, 2, numfmt_style_text(ctl->tl));
    snprintf(buf, len, "€ %s", n);
}

/* s left-aligned in width characters (not bytes: "één", "€" are one column each). */
static void s_pad(const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    fputs(s, stdout);
    for (; chars < width; chars++)
        putchar(' ');
}

#define S_LABEL_W 20

/* The label of a field of `tender show`, from the catalogue ("ctl.tender.<key>"). */
static void s_label(const ctl_t *ctl, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "ctl.tender.%s", key);
    s_pad(ctl_text(ctl, k), S_LABEL_W);
    putchar(' ');
}

/* The people's name of an enum value: the report's catalogue entry ("report.tstatus.planned"),
 * "-" for an unset value, the wire name itself if the catalogue lacks it (never a blank). */
static const char *s_enum(const ctl_t *ctl, const char *prefix, int value, const char *name)
{
    char key[96];   /* only looked up: the text returned is the catalogue's or name */
    snprintf(key, sizeof key, "report.%s.%s", prefix, value ? name : "-");
    return text_has(key) ? ctl_text(ctl, key) : name;
}

/* A single date as the reader says it ("maandag 25 januari 2027", "Monday 25 January
 * 2027"); with_wday false: "25 januari 2027". common/datewords, as the notifier's mails and
 * the report's pages, so the words are the same. Text that is not an ISO date is shown as
 * it came, never guessed at; so is a date the buffer cannot hold whole (callers give
 * DATEWORDS_MAX or more: never in practice). */
static void s_date(const ctl_t *ctl, char *buf, size_t len, const char *iso, bool with_wday)
{
    int y, m, d;
    if (!iso || cal_date_parse_iso(iso, &y, &m, &d) != 0 ||
        datewords_format(buf, len, ctl->tl, cal_date_days(y, m, d),
                         with_wday ? DATEWORDS_WEEKDAY : DATEWORDS_DATE) < 0)
        snprintf(buf, len, "%s", iso && *iso ? iso : "-");
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

static void s_line(const ctl_t *ctl, const char *key, const char *value)
{
    s_label(ctl, key);
    printf("%s\n", value);
}

/* The status, kind, value, procedure and dates of a tender. */
static void s_print_plan(const ctl_t *ctl, const Mvoi__Tender *t)
{
    char v[128], e[128];
    s_label(ctl, "status");
    printf(ctl_text(ctl, "ctl.tender.status_version"),
           s_enum(ctl, "tstatus", t->status, mvoi_status_name(t->status)), t->version);
    putchar('\n');
    if (t->cancel_reason)
        s_line(ctl, "cancel_reason", t->cancel_reason);
    s_line(ctl, "kind", s_enum(ctl, "kind", t->kind, mvoi_kind_name(t->kind)));
    if (t->has_value_cents) {
        s_euros(ctl, v, sizeof v, t->value_cents);
        s_line(ctl, "value", v);
    }
    s_label(ctl, "procedure");
    printf("%s%s", t->procedure ? s_enum(ctl, "procedure", t->procedure,
                                         mvoi_procedure_name(t->procedure))
                                : ctl_text(ctl, "ctl.tender.not_derived"),
           t->procedure_override ? ctl_text(ctl, "ctl.tender.set_explicitly") : "");
    if (t->threshold_period)
        printf(ctl_text(ctl, "ctl.tender.thresholds"), t->threshold_period);
    putchar('\n');
    s_line(ctl, "kickoff", ctl_text(ctl, t->kickoff_required ? "ctl.tender.required"
                                                              : "ctl.tender.not_required"));
    s_date(ctl, v, sizeof v, t->planned_publication, true);
    s_line(ctl, "publication", v);
    s_date(ctl, v, sizeof v, t->contract_start, false);
    s_date(ctl, e, sizeof e, t->contract_end, false);
    s_label(ctl, "contract");
    printf(ctl_text(ctl, "ctl.tender.period"), v, e);
    putchar('\n');
}

/* The ambition: themes with their commitment, SDGs, SROI, ISV, pilot. */
static void s_print_ambition(const ctl_t *ctl, const Mvoi__Tender *t)
{
    char v[128], pct[48];
    s_label(ctl, "themes");
    if (!t->n_themes)
        printf("-");
    for (size_t i = 0; i < t->n_themes; i++) {
        const Mvoi__ThemeAmbition *th = t->themes[i];
        printf("%s%s (%s)", i ? ", " : "", s_enum(ctl, "theme", th->theme, mvoi_theme_name(th->theme)),
               s_enum(ctl, "commit", th->commitment, mvoi_commitment_name(th->commitment)));
    }
    putchar('\n');
    s_line(ctl, "ambition", ctl_text(ctl, t->ambition_complete ? "ctl.tender.complete"
                                                                : "ctl.tender.not_complete"));
    s_label(ctl, "sdgs");
    if (!t->n_sdgs)
        printf("-");
    for (size_t i = 0; i < t->n_sdgs; i++)
        printf("%s%u", i ? ", " : "", t->sdgs[i]);
    putchar('\n');
    if (t->has_sroi_pct_bp) {
        /* basis points: 500 = 5,00 % */
        numfmt_fixed(pct, sizeof pct, t->sroi_pct_bp, 2, 2, numfmt_style_text(ctl->tl));
        s_euros(ctl, v, sizeof v, t->sroi_obligation_cents);
        s_label(ctl, "sroi");
        printf("%s %% = %s\n", pct, v);
    }
    if (t->sroi_exempt_reason)
        s_line(ctl, "sroi_exempt", t->sroi_exempt_reason);
    s_line(ctl, "isv_risk_group", cal_str_empty(t->isv_risk_group) ? "-" : t->isv_risk_group);
    s_line(ctl, "pilot", ctl_text(ctl, t->pilot ? "ctl.yes" : "ctl.no"));
}

static void s_print_tender(const ctl_t *ctl, const Mvoi__Tender *t)
{
    char p[512];
    s_line(ctl, "id", t->id ? t->id : "");
    s_line(ctl, "title", t->title ? t->title : "");
    s_line(ctl, "buyer", t->buyer ? t->buyer : "");
    s_print_plan(ctl, t);
    s_line(ctl, "group", t->purchasing_group ? t->purchasing_group : "-");
    s_line(ctl, "cpv", t->cpv ? t->cpv : "-");
    s_person(p, sizeof p, t->project_leader);
    s_line(ctl, "project_leader", p);
    s_person(p, sizeof p, t->budget_holder);
    s_line(ctl, "budget_holder", p);
    s_person(p, sizeof p, t->procurement_adviser);
    s_line(ctl, "adviser", p);
    s_print_ambition(ctl, t);
    s_line(ctl, "source", t->source ? t->source : "-");
}

/* One row of the table; widths in characters, so the columns line up in either language. */
static void s_row(const char *cells[7])
{
    static const int w[] = { 20, 17, 10, 16, 32, 20, 0 };
    for (int i = 0; i < 7; i++) {
        if (i)
            putchar(' ');
        if (i == 3) {   /* the value, right-aligned */
            int chars = 0;
            for (const unsigned char *p = (const unsigned char *)cells[i]; *p; p++)
                chars += (*p & 0xC0) != 0x80;
            for (; chars < w[i]; chars++)
                putchar(' ');
            fputs(cells[i], stdout);
        } else {
            s_pad(cells[i], w[i]);
        }
    }
    putchar('\n');
}

static void s_print_table(const ctl_t *ctl, const Mvoi__TenderList *l, bool header)
{
    if (header) {
        const char *h[7] = { ctl_text(ctl, "ctl.tender.col.id"),
                             ctl_text(ctl, "ctl.tender.col.publication"),
                             ctl_text(ctl, "ctl.tender.col.kind"),
                             ctl_text(ctl, "ctl.tender.col.value"),
                             ctl_text(ctl, "ctl.tender.col.procedure"),
                             ctl_text(ctl, "ctl.tender.col.status"),
                             ctl_text(ctl, "ctl.tender.col.title") };
        s_row(h);
    }
    for (size_t i = 0; i < l->n_tenders; i++) {
        const Mvoi__Tender *t = l->tenders[i];
        char v[64] = "-", pub[96];
        if (t->has_value_cents)
            s_euros(ctl, v, sizeof v, t->value_cents);
        s_date(ctl, pub, sizeof pub, t->planned_publication, false);
        const char *c[7] = { t->id ? t->id : "", pub,
                             s_enum(ctl, "kind", t->kind, mvoi_kind_name(t->kind)), v,
                             t->procedure ? s_enum(ctl, "procedure", t->procedure,
                                                   mvoi_procedure_name(t->procedure)) : "-",
                             s_enum(ctl, "tstatus", t->status, mvoi_status_name(t->status)),
                             t->title ? t->title : "" };
        s_row(c);
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
        return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
    }
    const Mvoi__TenderReply *tr = r->tender_reply;
    if (ctl->json) {
        ctl_print_json(stdout, &tr->base);
        return 0;
    }
    if (tr->has_outcome) {
        const char *o = tr->outcome == MVOI__UPSERT_OUTCOME__UPSERT_CREATED   ? "ctl.tender.created"
                        : tr->outcome == MVOI__UPSERT_OUTCOME__UPSERT_UPDATED ? "ctl.tender.updated"
                                                                                : "ctl.tender.unchanged";
        fprintf(stderr, ctl_text(ctl, "ctl.tender.outcome"), ctl_text(ctl, o),
                (unsigned long long)tr->seq);
        fputc('\n', stderr);
    }
    s_print_tender(ctl, tr->tender);
    return 0;
}
int ctl_tender_print_list(ctl_t *ctl, Mvoi__Envelope *r, bool header)
{
    if (r->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST) {
        return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
    }
    if (ctl->json)
        ctl_print_json(stdout, &r->tender_list->base);
    else
        s_print_table(ctl, r->tender_list, header);
    return 0;
}
