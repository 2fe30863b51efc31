/*  nt_text: what a reminder says to the person who receives it, from the message catalogue
 *  (common/messages.def, "notify.*"): their name, the session's weekday date and time,
 *  place, agenda, what to prepare, who else is invited, what changed, the reason of a
 *  cancellation, what is missing and how to record it, what to report and by when.
 *  Everything comes from the stored reminder, so a re-send renders the same bytes. */
#include "nt_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datewords.h"
#include "nt_cal.h"
#include "pbjson.h"
#include "tender_cancel.h"

#define K(x) MVOI__REMINDER_KIND__REM_##x

/* A catalogue text used as a printf format (both translations carry the same conversions,
 * checked by the catalogue test). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void s_tf(nt_buf_t *b, text_lang_t L, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    nt_buf_vprintf(b, text_get(L, key), ap);
    va_end(ap);
}

/* A dead letter's report: what the message's other recipients got, as far as known when
 * the copy died (attendees: the other recipients; added: those whose copy was delivered).
 * Said only when true: nothing when there was no other recipient (and for reports made
 * before the counts were recorded). */
static void s_dead_others(nt_buf_t *b, text_lang_t L, const Mvoi__Reminder *r)
{
    size_t others = r->n_attendees, ok = r->n_added;
    if (others == 0)
        return;
    nt_buf_puts(b, " ");
    if (ok == others)
        s_tf(b, L, others == 1 ? "notify.body.delivery_other_ok"
                               : "notify.body.delivery_others_all");
    else if (others == 1)
        s_tf(b, L, "notify.body.delivery_other_not");
    else
        s_tf(b, L, "notify.body.delivery_others_count", (unsigned)ok, (unsigned)others);
}
#pragma GCC diagnostic pop

static const char *s_t(text_lang_t L, const char *fmt, int i)
{
    char key[64];
    snprintf(key, sizeof key, fmt, i);
    return text_get(L, key);
}

void nt_text_date_iso(char *buf, size_t cap, int64_t days)
{
    int y, m, d;
    nt_civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

int nt_text_date_long(text_lang_t L, char *buf, size_t cap, int64_t days)
{
    return datewords_format(buf, cap, L, days, DATEWORDS_WEEKDAY);
}

static void s_hm(text_lang_t L, char *buf, size_t cap, const nt_local_t *l)
{
    snprintf(buf, cap, L == TEXT_NL ? "%02d.%02d" : "%02d:%02d", l->hour, l->minute);
}

void nt_text_when(text_lang_t L, char *buf, size_t cap, int64_t start_ms, int64_t end_ms)
{
    nt_local_t a, e;
    nt_ams_from_utc(start_ms, &a);
    nt_ams_from_utc(end_ms, &e);
    char day[80], ha[8], he[8];
    nt_text_date_long(L, day, sizeof day, nt_days_from_civil(a.year, a.month, a.day));
    s_hm(L, ha, sizeof ha, &a);
    s_hm(L, he, sizeof he, &e);
    nt_buf_t b = { 0 };
    s_tf(&b, L, "notify.time.range", day, ha, he);
    snprintf(buf, cap, "%s", b.data ? b.data : "");
    nt_buf_free(&b);
}

/* "YYYY-MM-DD" as a long date; the text itself when it is not a date. */
static void s_date_text(text_lang_t L, char *buf, size_t cap, const char *iso)
{
    int64_t d;
    if (iso && nt_parse_date(iso, &d) == 0)
        nt_text_date_long(L, buf, cap, d);
    else
        snprintf(buf, cap, "%s", iso ? iso : "");
}

/* A late kick-off whose tender was to be published before the session at all (a past
 * date in the calendar): "fewer than 10 days in between" would be untrue. */
static bool s_published_before(const Mvoi__Reminder *r)
{
    int64_t pub;
    return r->tender && r->tender->planned_publication && r->meeting_start_ms &&
           nt_parse_date(r->tender->planned_publication, &pub) == 0 &&
           pub < nt_ams_day(r->meeting_start_ms);
}

static void s_label(nt_buf_t *b, text_lang_t L, const char *key, const char *value)
{
    nt_buf_printf(b, "%s: %s\n", text_get(L, key), value);
}

static const char *s_theme_name(int th)
{
    const char *n = pbjson_enum_short(&mvoi__theme__descriptor, th);
    return n ? n : "unspecified";
}

static const char *s_role(text_lang_t L, const Mvoi__Tender *t, const char *email)
{
    if (!t || !email)
        return NULL;
    if (t->project_leader && t->project_leader->email &&
        !strcasecmp(t->project_leader->email, email))
        return text_get(L, "notify.role.project_leader");
    if (t->budget_holder && t->budget_holder->email && !strcasecmp(t->budget_holder->email, email))
        return text_get(L, "notify.role.budget_holder");
    if (t->procurement_adviser && t->procurement_adviser->email &&
        !strcasecmp(t->procurement_adviser->email, email))
        return text_get(L, "notify.role.procurement_adviser");
    return NULL;
}

/* "Name (role), Name, address" */
static void s_people(nt_buf_t *b, text_lang_t L, const Mvoi__Tender *t, Mvoi__Person *const *p,
                     size_t n, const char *skip)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (skip && p[i]->email && !strcasecmp(p[i]->email, skip))
            continue;
        const char *role = s_role(L, t, p[i]->email);
        nt_buf_printf(b, "%s%s", first ? "" : ", ",
                      p[i]->name && *p[i]->name ? p[i]->name : p[i]->email);
        if (role)
            nt_buf_printf(b, " (%s)", role);
        first = false;
    }
}

static void s_money(text_lang_t L, char *buf, size_t cap, int64_t cents)
{
    int64_t eur = (cents + 50) / 100;
    char d[32], g[48];
    snprintf(d, sizeof d, "%lld", (long long)eur);
    size_t n = strlen(d), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            g[k++] = L == TEXT_NL ? '.' : ',';
        g[k++] = d[i];
    }
    g[k] = 0;
    snprintf(buf, cap, L == TEXT_NL ? "€ %s" : "€%s", g);
}

static void s_pct(text_lang_t L, char *buf, size_t cap, uint32_t bp)
{
    if (bp % 100 == 0)
        snprintf(buf, cap, "%u %%", bp / 100);
    else
        snprintf(buf, cap, "%u%c%02u %%", bp / 100, L == TEXT_NL ? ',' : '.', bp % 100);
}

/* The themes in scope with their commitment and the plan's level, SROI and planning. */
static void s_tender_facts(nt_buf_t *b, text_lang_t L, const Mvoi__Tender *t)
{
    nt_buf_printf(b, "\n%s:\n", text_get(L, "notify.label.themes"));
    for (size_t i = 0; i < t->n_themes; i++) {
        const Mvoi__ThemeAmbition *a = t->themes[i];
        const char *th = s_theme_name(a->theme);
        const char *ck = !a->has_commitment || !a->commitment ? "notify.theme.open"
                         : a->commitment == MVOI__COMMITMENT__COMMIT_EIS ? "notify.commit.eis"
                         : a->commitment == MVOI__COMMITMENT__COMMIT_GUNNING
                             ? "notify.commit.gunning"
                             : "notify.commit.innovatie";
        const char *c = text_get(L, ck);
        char k1[64], k2[64];
        snprintf(k1, sizeof k1, "theme.%s", th);
        snprintf(k2, sizeof k2, "notify.plan.%s", th);
        nt_buf_printf(b, "- %s: %s (%s)\n", text_get(L, k1), c, text_get(L, k2));
    }
    if (!t->n_themes)
        nt_buf_printf(b, "- %s\n", text_get(L, "notify.themes.none"));
    char pct[32], money[48], d1[80], d2[80];
    nt_buf_printf(b, "%s: ", text_get(L, "notify.label.sroi"));
    if (t->sroi_exempt_reason && *t->sroi_exempt_reason) {
        s_tf(b, L, "notify.sroi.exempt", t->sroi_exempt_reason);
    } else if (t->sroi_pct_bp) {
        s_pct(L, pct, sizeof pct, t->sroi_pct_bp);
        s_money(L, money, sizeof money,
                t->has_sroi_obligation_cents ? t->sroi_obligation_cents
                                             : t->value_cents * t->sroi_pct_bp / 10000);
        s_tf(b, L, "notify.sroi.pct", pct, money);
    } else {
        nt_buf_puts(b, text_get(L, "notify.sroi.open"));
    }
    nt_buf_printf(b, "\n%s: ", text_get(L, "notify.label.planning"));
    if (t->planned_publication && *t->planned_publication) {
        s_date_text(L, d1, sizeof d1, t->planned_publication);
        s_tf(b, L, "notify.planning.pub", d1);
    } else {
        nt_buf_puts(b, text_get(L, "notify.planning.none"));
    }
    if (t->contract_start && *t->contract_start && t->contract_end && *t->contract_end) {
        s_date_text(L, d1, sizeof d1, t->contract_start);
        s_date_text(L, d2, sizeof d2, t->contract_end);
        nt_buf_puts(b, "; ");
        s_tf(b, L, "notify.planning.contract", d1, d2);
    }
    nt_buf_puts(b, "\n");
}

static void s_list(nt_buf_t *b, text_lang_t L, const char *label, const char *fmt, int n,
                   bool numbered)
{
    nt_buf_printf(b, "\n%s:\n", text_get(L, label));
    for (int i = 1; i <= n; i++) {
        if (numbered)
            nt_buf_printf(b, "%d. %s\n", i, s_t(L, fmt, i));
        else
            nt_buf_printf(b, "- %s\n", s_t(L, fmt, i));
    }
}

/* "«title» (id)" */
static void s_tt(char *buf, size_t cap, const Mvoi__Reminder *r)
{
    const char *title = r->title && *r->title ? r->title : (r->tender_id ? r->tender_id : "");
    if (r->tender_id && *r->tender_id && strcmp(title, r->tender_id) != 0)
        snprintf(buf, cap, "\"%s\" (%s)", title, r->tender_id);
    else
        snprintf(buf, cap, "%s", title);
}

/* When and where; a cancelled session has no place to announce ("volgt in een aparte
 * uitnodiging" promised one for a session that no longer takes place). */
static void s_when_where(nt_buf_t *b, const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r,
                         bool cancel)
{
    text_lang_t L = cfg->lang;
    char when[160];
    nt_text_when(L, when, sizeof when, r->meeting_start_ms, r->meeting_end_ms);
    s_label(b, L, "notify.label.when", when);
    if (cfg->location && *cfg->location)
        s_label(b, L, "notify.label.where", cfg->location);
    else if (!cancel)
        s_label(b, L, "notify.label.where", text_get(L, "notify.label.where_none"));
}

static void s_changes(nt_buf_t *b, text_lang_t L, const Mvoi__Reminder *r)
{
    nt_buf_printf(b, "%s:\n", text_get(L, "notify.label.changed"));   /* after a blank line */
    bool any = false;
    if (r->has_prev_meeting_start_ms && r->prev_meeting_start_ms) {
        char was[160], now[160];
        nt_text_when(L, was, sizeof was, r->prev_meeting_start_ms, r->prev_meeting_end_ms);
        nt_text_when(L, now, sizeof now, r->meeting_start_ms, r->meeting_end_ms);
        nt_buf_puts(b, "- ");
        s_tf(b, L, "notify.changed.when", was, now);
        nt_buf_puts(b, "\n");
        any = true;
    }
    nt_buf_t who = { 0 };
    if (r->n_added) {
        s_people(&who, L, r->tender, r->added, r->n_added, NULL);
        nt_buf_puts(b, "- ");
        s_tf(b, L, "notify.changed.added", who.data ? who.data : "");
        nt_buf_puts(b, "\n");
        any = true;
    }
    if (r->n_removed) {
        who.len = 0;
        if (who.data)
            who.data[0] = 0;
        s_people(&who, L, r->tender, r->removed, r->n_removed, NULL);
        nt_buf_puts(b, "- ");
        s_tf(b, L, "notify.changed.removed", who.data ? who.data : "");
        nt_buf_puts(b, "\n");
        any = true;
    }
    nt_buf_free(&who);
    if (!any)
        nt_buf_printf(b, "- %s\n", text_get(L, "notify.changed.other"));
}

/* The reason a session is off: the tender's cancellation as its reader says it (a source's
 * cancellation without a reason, or an OCDS release's, said from the facts the tender
 * carries: "geannuleerd door de bron (csv)", not a bare "het inkooptraject is geannuleerd"
 * that names no source), else the reason as written, else why the session went. buf holds
 * any said reason (TENDER_CANCEL_SAY_MAX: its parts are bounded when stored). */
static const char *s_off_reason(text_lang_t L, const Mvoi__Reminder *r, char *buf, size_t cap)
{
    const Mvoi__Tender *t = r->tender;
    bool cancelled = t && t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED;
    bool given = r->reason && *r->reason;
    const char *said = NULL;
    /* the reminder's reason is the tender's own (what the plan copied), or none */
    if (cancelled && tender_cancel_is_said(t) &&
        (!given || (t->cancel_reason && strcmp(r->reason, t->cancel_reason) == 0)) &&
        tender_cancel_reason_say(t, L, buf, cap, &said) == 0 && said)
        return said;
    if (given)
        return r->reason;
    return text_get(L, cancelled ? "notify.reason.cancelled" : "notify.reason.none");
}

static void s_kickoff(nt_buf_t *b, const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r,
                      const char *tt)
{
    text_lang_t L = cfg->lang;
    bool cancel = r->kind == K(KICKOFF_CANCELLED);
    bool removed = cancel && r->reason && strcmp(r->reason, "removed") == 0;
    bool update = r->kind == K(KICKOFF_INVITATION) && r->sequence > 0;
    const char *key = removed ? "notify.body.kickoff_removed"
                      : cancel ? "notify.body.kickoff_cancelled"
                      : update ? "notify.body.kickoff_update"
                      : r->kind == K(KICKOFF_REMINDER) ? "notify.body.kickoff_reminder"
                                                        : "notify.body.kickoff_invitation";
    s_tf(b, L, key, tt);
    nt_buf_puts(b, "\n\n");
    if (update) {
        s_changes(b, L, r);
        nt_buf_puts(b, "\n");
    }
    s_when_where(b, cfg, r, cancel);
    if (cancel && !removed) {
        char why[TENDER_CANCEL_SAY_MAX];
        s_label(b, L, "notify.label.reason", s_off_reason(L, r, why, sizeof why));
        return;
    }
    if (cancel)
        return;
    nt_buf_printf(b, "%s: ", text_get(L, "notify.label.invited"));
    s_people(b, L, r->tender, r->attendees, r->n_attendees,
             r->n_recipients ? r->recipients[0] : NULL);
    nt_buf_puts(b, "\n");
    if (r->organizer)
        s_label(b, L, "notify.label.organizer", r->organizer);
    s_list(b, L, "notify.label.agenda", "notify.agenda.%d", 5, true);
    if (r->tender)
        s_tender_facts(b, L, r->tender);
    s_list(b, L, "notify.label.prepare", "notify.prepare.%d", 3, false);
}

/* A command line the recipient can paste: "mvoictl --buyer B" first, because a tender id
 * is a buyer's own (two buyers may use the same id): without it, the command would reach
 * the tender of MVOI_BUYER's buyer, another's of the same id, or be refused for want of a
 * buyer. */
static void s_ctl(nt_buf_t *cmd, const Mvoi__Reminder *r)
{
    nt_buf_puts(cmd, "mvoictl");
    if (r->buyer && *r->buyer)
        nt_buf_printf(cmd, " --buyer %s", r->buyer);   /* [a-z0-9_-] (mvoi_id.h) */
}

/* An id as one shell word: ids may hold '|', '#' and '~' (mvoi_id.h), which a shell would
 * take for a pipe, a comment or a home directory; such an id is single-quoted. */
static void s_word(nt_buf_t *cmd, const char *id)
{
    const char *v = id && *id ? id : "ID";
    if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/@+=%-") ==
        strlen(v)) {
        nt_buf_puts(cmd, v);
        return;
    }
    nt_buf_puts(cmd, "'");
    for (const char *p = v; *p; p++) {
        if (*p == '\'')
            nt_buf_puts(cmd, "'\\''");
        else
            nt_buf_put(cmd, p, 1);
    }
    nt_buf_puts(cmd, "'");
}

/* The themes still open and how to record them. */
static void s_ambition(nt_buf_t *b, const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r,
                       const char *tt)
{
    text_lang_t L = cfg->lang;
    bool esc = r->kind == K(AMBITION_ESCALATION);
    s_tf(b, L, esc ? "notify.body.ambition_escalation" : "notify.body.ambition_missing", tt,
         esc ? (r->ordinal ? r->ordinal - 1 : 0) : r->ordinal);
    nt_buf_printf(b, "\n\n%s:\n", text_get(L, "notify.label.missing"));
    const Mvoi__Tender *t = r->tender;
    nt_buf_t cmd = { 0 };
    s_ctl(&cmd, r);
    nt_buf_puts(&cmd, " tender ambition ");
    s_word(&cmd, r->tender_id);
    size_t open = 0;
    for (size_t i = 0; t && i < t->n_themes; i++) {
        if (t->themes[i]->has_commitment && t->themes[i]->commitment)
            continue;
        const char *th = s_theme_name(t->themes[i]->theme);
        char k1[64];
        snprintf(k1, sizeof k1, "theme.%s", th);
        nt_buf_printf(b, "- %s\n", text_get(L, k1));
        nt_buf_printf(&cmd, " --theme %s:eis", th);
        open++;
    }
    if (!open) {
        nt_buf_printf(b, "- %s\n", text_get(L, "notify.themes.none"));
        nt_buf_puts(&cmd, " --theme klimaat:eis");
    }
    if (t && !t->sroi_pct_bp && !(t->sroi_exempt_reason && *t->sroi_exempt_reason)) {
        nt_buf_printf(b, "- %s: %s\n", text_get(L, "notify.label.sroi"),
                      text_get(L, "notify.sroi.open"));
        nt_buf_puts(&cmd, " --sroi 5%");
    }
    nt_buf_printf(b, "\n%s:\n- ", text_get(L, "notify.label.how"));
    s_tf(b, L, "notify.how.ambition", cmd.data ? cmd.data : "");
    nt_buf_printf(b, " (%s)\n- ", text_get(L, "notify.how.choice"));
    s_tf(b, L, "notify.how.dashboard", cfg->dashboard_url ? cfg->dashboard_url : "");
    nt_buf_puts(b, "\n");
    nt_buf_free(&cmd);
}

static void s_sdg(nt_buf_t *b, const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, const char *tt)
{
    text_lang_t L = cfg->lang;
    if (nt_msg_sdg_withdrawn(r)) {
        s_tf(b, L, "notify.body.sdg_removed", r->ordinal, tt);
        nt_buf_puts(b, "\n\n");
        s_when_where(b, cfg, r, true);
        return;
    }
    s_tf(b, L, "notify.body.sdg_dialogue", r->ordinal, tt);
    nt_buf_puts(b, "\n\n");
    if ((r->has_prev_meeting_start_ms && r->prev_meeting_start_ms) || r->n_added ||
        r->n_removed) {
        s_changes(b, L, r);   /* an update of the invitation they hold: session or people */
        nt_buf_puts(b, "\n");
    }
    s_when_where(b, cfg, r, false);
    nt_buf_printf(b, "%s: ", text_get(L, "notify.label.invited"));
    s_people(b, L, r->tender, r->attendees, r->n_attendees,
             r->n_recipients ? r->recipients[0] : NULL);
    nt_buf_printf(b, "\n\n%s:\n", text_get(L, "notify.label.sdgs"));
    const Mvoi__Tender *t = r->tender;
    size_t n = 0;
    for (size_t i = 0; t && i < t->n_sdgs; i++, n++) {
        char key[32];
        snprintf(key, sizeof key, "notify.sdg.%u", t->sdgs[i]);
        nt_buf_puts(b, "- ");
        if (text_has(key))
            nt_buf_puts(b, text_get(L, key));
        else
            s_tf(b, L, "notify.sdg.other", t->sdgs[i]);
        nt_buf_puts(b, "\n");
    }
    if (!n)
        nt_buf_printf(b, "- %s\n", text_get(L, "notify.sdg.none"));
    nt_buf_printf(b, "\n%s:\n- %s\n", text_get(L, "notify.label.prepare"),
                  text_get(L, "notify.prepare.sdg"));
}

static void s_measure(nt_buf_t *b, const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r,
                      const char *tt)
{
    text_lang_t L = cfg->lang;
    char a[80], e[80], d[80];
    s_date_text(L, a, sizeof a, r->period_start);
    s_date_text(L, e, sizeof e, r->period_end);
    s_date_text(L, d, sizeof d, r->deadline);
    s_tf(b, L, "notify.body.measurement_request", tt, a, e, d);
    nt_buf_printf(b, "\n\n%s:\n", text_get(L, "notify.label.report"));
    const Mvoi__Tender *t = r->tender;
    for (size_t i = 0; t && i < t->n_themes; i++) {
        char key[64];
        snprintf(key, sizeof key, "notify.report.%s", s_theme_name(t->themes[i]->theme));
        nt_buf_printf(b, "- %s\n", text_get(L, key));
    }
    if (!t || !t->n_themes)
        nt_buf_printf(b, "- %s\n", text_get(L, "notify.report.none"));
    s_label(b, L, "notify.label.deadline", d);
    nt_buf_printf(b, "\n%s:\n- ", text_get(L, "notify.label.how"));
    nt_buf_t cmd = { 0 };
    s_ctl(&cmd, r);
    nt_buf_puts(&cmd, " measure add --id ID --tender ");
    s_word(&cmd, r->tender_id);
    nt_buf_printf(&cmd, " --phase realisation --period %s..%s --kind KIND --quantity N",
                  r->period_start ? r->period_start : "", r->period_end ? r->period_end : "");
    s_tf(b, L, "notify.how.measure", cmd.data ? cmd.data : "");
    nt_buf_free(&cmd);
    nt_buf_puts(b, "\n- ");
    s_tf(b, L, "notify.how.dashboard", cfg->dashboard_url ? cfg->dashboard_url : "");
    nt_buf_puts(b, "\n");
}

static char *s_subject(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, const char *title)
{
    text_lang_t L = cfg->lang;
    nt_buf_t b = { 0 };
    bool removed = r->kind == K(KICKOFF_CANCELLED) && r->reason && !strcmp(r->reason, "removed");
    switch (r->kind) {
    case K(KICKOFF_INVITATION):
        s_tf(&b, L, r->sequence > 0 ? "notify.subject.kickoff_update"
                                    : "notify.subject.kickoff_invitation", title);
        break;
    case K(KICKOFF_REMINDER): s_tf(&b, L, "notify.subject.kickoff_reminder", title); break;
    case K(KICKOFF_CANCELLED):
        s_tf(&b, L, removed ? "notify.subject.kickoff_removed" : "notify.subject.kickoff_cancelled",
             title);
        break;
    case K(KICKOFF_LATE):
        s_tf(&b, L, s_published_before(r) ? "notify.subject.kickoff_after_publication"
                                          : "notify.subject.kickoff_late", title);
        break;
    case K(AMBITION_MISSING): s_tf(&b, L, "notify.subject.ambition_missing", title); break;
    case K(AMBITION_ESCALATION): s_tf(&b, L, "notify.subject.ambition_escalation", title); break;
    case K(SDG_DIALOGUE):
        s_tf(&b, L, nt_msg_sdg_withdrawn(r) ? "notify.subject.sdg_removed"
                                             : "notify.subject.sdg_dialogue", r->ordinal, title);
        break;
    case K(MEASUREMENT_REQUEST): {
        char a[16];
        snprintf(a, sizeof a, "%.7s", r->period_end ? r->period_end : "");
        s_tf(&b, L, "notify.subject.measurement_request", a, title);
        break;
    }
    case K(QUARTERLY_REPORT):
        s_tf(&b, L, "notify.subject.quarterly_report", r->title ? r->title : "");
        break;
    case K(DELIVERY_FAILED): s_tf(&b, L, "notify.subject.delivery_failed", title); break;
    default: nt_buf_puts(&b, r->subject ? r->subject : title);
    }
    return b.data ? b.data : strdup("");
}

static void s_other(nt_buf_t *b, const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r,
                    const char *tt)
{
    text_lang_t L = cfg->lang;
    if (r->kind == K(KICKOFF_LATE)) {
        char when[160], pub[80];
        nt_text_when(L, when, sizeof when, r->meeting_start_ms, r->meeting_end_ms);
        s_date_text(L, pub, sizeof pub, r->tender ? r->tender->planned_publication : "");
        if (s_published_before(r))
            s_tf(b, L, "notify.body.kickoff_after_publication", tt, when, pub);
        else
            s_tf(b, L, "notify.body.kickoff_late", tt, when, pub, cfg->min_lead_days);
        nt_buf_puts(b, "\n");
    } else if (r->kind == K(DELIVERY_FAILED)) {
        const char *who = r->n_removed ? r->removed[0]->email : "?";
        s_tf(b, L, "notify.body.delivery_failed", who ? who : "?",
             r->about_error ? r->about_error : "");
        s_dead_others(b, L, r);
        nt_buf_printf(b, "\n\n%s: %s\n", text_get(L, "notify.label.dead_reminder"),
                      r->about_id ? r->about_id : "");
        nt_buf_t cmd = { 0 };
        s_ctl(&cmd, r);
        nt_buf_puts(&cmd, " reminders resend ");
        s_word(&cmd, r->about_id);
        /* an address refused (5xx) is the tender's to correct; a relay unreachable or
         * refusing for days (the retry lifetime), or one without the SMTPUTF8 a non-ASCII
         * address needs, is the mail server's */
        bool utf8 = r->about_error && strncmp(r->about_error, NT_MSG_SMTPUTF8_REFUSED,
                                              strlen(NT_MSG_SMTPUTF8_REFUSED)) == 0;
        s_tf(b, L, r->about_gave_up ? "notify.body.delivery_gave_up_how"
                   : utf8           ? "notify.body.delivery_smtputf8_how"
                                    : "notify.body.delivery_failed_how",
             cmd.data ? cmd.data : "");
        nt_buf_puts(b, "\n");
        nt_buf_free(&cmd);
    } else if (r->kind == K(QUARTERLY_REPORT)) {
        s_tf(b, L, "notify.body.quarterly_report", r->title ? r->title : "");
        nt_buf_puts(b, "\n");
    } else {
        nt_buf_printf(b, "%s\n", tt);
    }
}

int nt_msg_render_body(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, char **subject,
                       char **body)
{
    text_lang_t L = cfg->lang;
    const char *title = r->title && *r->title ? r->title : (r->tender_id ? r->tender_id : "");
    char tt[700];
    s_tt(tt, sizeof tt, r);
    nt_buf_t b = { 0 };
    if (r->recipient_name && *r->recipient_name)
        s_tf(&b, L, "notify.body.greeting_name", r->recipient_name);
    else
        nt_buf_puts(&b, text_get(L, "notify.body.greeting"));
    nt_buf_puts(&b, "\n\n");
    switch (r->kind) {
    case K(KICKOFF_INVITATION):
    case K(KICKOFF_REMINDER):
    case K(KICKOFF_CANCELLED): s_kickoff(&b, cfg, r, tt); break;
    case K(AMBITION_MISSING):
    case K(AMBITION_ESCALATION): s_ambition(&b, cfg, r, tt); break;
    case K(SDG_DIALOGUE): s_sdg(&b, cfg, r, tt); break;
    case K(MEASUREMENT_REQUEST): s_measure(&b, cfg, r, tt); break;
    default: s_other(&b, cfg, r, tt);
    }
    char *subj = s_subject(cfg, r, title);
    if (b.err || !subj) {
        free(subj);
        nt_buf_free(&b);
        return -ENOMEM;
    }
    *subject = subj;
    *body = b.data;
    return 0;
}

int nt_msg_render(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, char **subject,
                  char **text)
{
    char *body = NULL;
    int rc = nt_msg_render_body(cfg, r, subject, &body);
    if (rc)
        return rc;
    nt_buf_t b = { 0 };
    nt_buf_printf(&b, "%s\n-- \n%s\n", body, text_get(cfg->lang, "notify.body.footer"));
    free(body);
    if (b.err) {
        free(*subject);
        nt_buf_free(&b);
        return -ENOMEM;
    }
    *text = b.data;
    return 0;
}
