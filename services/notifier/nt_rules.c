/*  nt_rules: the reminder schedule. See nt_rules.h for the rules in words. */
#include "nt_rules.h"

#include <errno.h>
#include <string.h>

void nt_rules_defaults(nt_rules_cfg_t *c)
{
    c->kickoff_lead_days = 21;
    c->kickoff_hour = 10;
    c->kickoff_minutes = 60;
    c->reminder_days_before = 2;
    c->reminder_hour = 9;
    c->ambition_interval_days = 7;
    c->escalation_after = 2;
    c->ambition_max = 10;
    c->measurement_months = 3;
    c->kickoff_min_lead_days = 10;
    c->measurement_deadline_days = 30;
    c->sdg_invite_days = 10;
    c->ambition_after_kickoff = true;
}

int nt_rules_start_parse(const char *s, bool *after_kickoff)
{
    if (!s || !*s || strcmp(s, "kickoff") == 0)
        *after_kickoff = true;
    else if (strcmp(s, "registration") == 0)
        *after_kickoff = false;
    else
        return -EINVAL;
    return 0;
}

bool nt_rules_kickoff_late(const nt_rules_cfg_t *cfg, const Mvoi__Tender *t,
                           int64_t meeting_start_ms)
{
    int64_t pub;
    if (!meeting_start_ms || !t->planned_publication ||
        nt_parse_date(t->planned_publication, &pub) != 0)
        return false;
    return pub - nt_ams_day(meeting_start_ms) < cfg->kickoff_min_lead_days;
}

int64_t nt_rules_ambition_from(const nt_rules_cfg_t *cfg, int64_t meeting_start_ms,
                               int64_t registered_ms)
{
    return cfg->ambition_after_kickoff && meeting_start_ms > 0 ? meeting_start_ms
                                                               : registered_ms;
}

bool nt_rules_kickoff_required(const Mvoi__Tender *t)
{
    if (t->has_kickoff_required && t->kickoff_required)
        return true;
    return t->has_procedure && (t->procedure == MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR ||
                                t->procedure == MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
}

bool nt_rules_is_pilot(const Mvoi__Tender *t)
{
    if (t->has_pilot && t->pilot)
        return true;
    for (size_t i = 0; i < t->n_themes; i++)
        if (t->themes[i]->has_commitment &&
            t->themes[i]->commitment == MVOI__COMMITMENT__COMMIT_INNOVATIE)
            return true;
    return false;
}

bool nt_rules_ambition_open(const Mvoi__Tender *t)
{
    if (t->has_ambition_complete && t->ambition_complete)
        return false;
    if (t->has_status && t->status >= MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED)
        return false;   /* recorded, published, awarded, ... or cancelled */
    return true;
}

int64_t nt_rules_at(const nt_rules_cfg_t *cfg, nt_cal_t *cal, int64_t days)
{
    return nt_ams_to_utc(nt_cal_next_working(cal, days), cfg->reminder_hour, 0);
}

int nt_rules_kickoff_slot(const nt_rules_cfg_t *cfg, nt_cal_t *cal, const Mvoi__Tender *t,
                          int64_t registered_ms, int64_t *start_ms, int64_t *end_ms)
{
    /* Earliest: the first working day after the registration day. */
    int64_t earliest = nt_cal_add_working(cal, nt_ams_day(registered_ms), 1);
    int64_t day = earliest;
    int64_t pub;
    if (t->planned_publication && nt_parse_date(t->planned_publication, &pub) == 0) {
        int64_t cand = nt_cal_prev_working(cal, pub - cfg->kickoff_lead_days);
        if (cand > earliest)
            day = cand;
    }
    *start_ms = nt_ams_to_utc(day, cfg->kickoff_hour, 0);
    *end_ms = *start_ms + (int64_t)cfg->kickoff_minutes * 60000;
    return 0;
}

static int s_add(nt_due_t *out, int n, int max, Mvoi__ReminderKind k, uint32_t ord, int64_t due)
{
    if (n < max) {
        memset(&out[n], 0, sizeof out[n]);
        out[n].kind = k;
        out[n].ordinal = ord;
        out[n].due_ms = due;
    }
    return n + 1;
}

/* An SDG dialogue on the first working day on/after day; invited days_before earlier. */
static int s_add_sdg(const nt_rules_cfg_t *cfg, nt_cal_t *cal, nt_due_t *out, int n, int max,
                     uint32_t ord, int64_t day)
{
    int64_t d = nt_cal_next_working(cal, day);
    int64_t inv = nt_ams_to_utc(nt_cal_add_working(cal, d, -cfg->sdg_invite_days),
                                cfg->reminder_hour, 0);
    n = s_add(out, n, max, MVOI__REMINDER_KIND__REM_SDG_DIALOGUE, ord, inv);
    if (n <= max) {
        out[n - 1].start_ms = nt_ams_to_utc(d, cfg->kickoff_hour, 0);
        out[n - 1].end_ms = out[n - 1].start_ms + (int64_t)cfg->kickoff_minutes * 60000;
    }
    return n;
}

static int s_add_measure(const nt_rules_cfg_t *cfg, nt_cal_t *cal, nt_due_t *out, int n,
                         int max, uint32_t ord, int64_t from, int64_t to)
{
    n = s_add(out, n, max, MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST, ord,
              nt_rules_at(cfg, cal, to + 1));
    if (n <= max) {
        out[n - 1].period_start = from;
        out[n - 1].period_end = to;
        out[n - 1].deadline = nt_cal_next_working(cal, to + cfg->measurement_deadline_days);
    }
    return n;
}

int nt_rules_plan(const nt_rules_cfg_t *cfg, nt_cal_t *cal, const Mvoi__Tender *t,
                  int64_t meeting_start_ms, int64_t invited_ms, nt_due_t *out, int max)
{
    int n = 0;
    if (t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED)
        return 0;
    if (meeting_start_ms > 0 && cfg->reminder_days_before > 0) {
        int64_t mday = nt_ams_day(meeting_start_ms);
        int64_t rday = nt_cal_add_working(cal, mday, -cfg->reminder_days_before);
        int64_t due = nt_ams_to_utc(rday, cfg->reminder_hour, 0);
        if (due > invited_ms && due < meeting_start_ms)
            n = s_add(out, n, max, MVOI__REMINDER_KIND__REM_KICKOFF_REMINDER, 1, due);
    }
    int64_t cs = 0, ce = 0, pub = 0;
    bool has_cs = t->contract_start && nt_parse_date(t->contract_start, &cs) == 0;
    bool has_ce = t->contract_end && nt_parse_date(t->contract_end, &ce) == 0;
    bool has_pub = t->planned_publication && nt_parse_date(t->planned_publication, &pub) == 0;
    if (has_cs && has_ce && ce < cs)
        has_ce = false;
    if (nt_rules_is_pilot(t)) {
        int64_t d1 = 0, d2 = 0;
        if (has_cs && has_ce) {
            d1 = cs;
            d2 = cs + (ce - cs) / 2;
        } else if (has_cs) {
            d1 = cs;
            d2 = cs + 90;
        } else if (has_pub) {
            d1 = pub;
            d2 = pub + 90;
        }
        if (d1) {
            n = s_add_sdg(cfg, cal, out, n, max, 1, d1);
            n = s_add_sdg(cfg, cal, out, n, max, 2, d2 > d1 ? d2 : d1 + 1);
        }
    }
    if (has_cs && has_ce && cfg->measurement_months > 0) {
        int y, m, d;
        nt_civil_from_days(cs, &y, &m, &d);
        uint32_t ord = 0;
        int64_t from = cs;
        /* Period boundaries: the first day of months where (month-1) % interval == 0. */
        int mm = m, yy = y;
        for (int guard = 0; guard < 1200; guard++) {
            mm++;
            if (mm > 12) {
                mm = 1;
                yy++;
            }
            if ((mm - 1) % cfg->measurement_months != 0)
                continue;
            int64_t next_start = nt_days_from_civil(yy, mm, 1);   /* day after period end */
            if (next_start - 1 >= ce)
                break;
            n = s_add_measure(cfg, cal, out, n, max, ++ord, from, next_start - 1);
            from = next_start;
        }
        n = s_add_measure(cfg, cal, out, n, max, ++ord, from, ce);
    }
    return n < max ? n : max;
}

int64_t nt_rules_ambition_due(const nt_rules_cfg_t *cfg, nt_cal_t *cal, int64_t from_ms)
{
    return nt_rules_at(cfg, cal, nt_ams_day(from_ms) + cfg->ambition_interval_days);
}

Mvoi__ReminderKind nt_rules_ambition_kind(const nt_rules_cfg_t *cfg, uint32_t ordinal)
{
    return ordinal > (uint32_t)cfg->escalation_after
               ? MVOI__REMINDER_KIND__REM_AMBITION_ESCALATION
               : MVOI__REMINDER_KIND__REM_AMBITION_MISSING;
}

int64_t nt_rules_quarter_due(const nt_rules_cfg_t *cfg, nt_cal_t *cal, int64_t after_ms,
                             int *quarter_id)
{
    nt_local_t l;
    nt_ams_from_utc(after_ms, &l);
    int y = l.year, q = (l.month - 1) / 3 + 1;
    for (int i = 0; i < 12; i++) {
        int64_t due = nt_rules_at(cfg, cal, nt_days_from_civil(y, (q - 1) * 3 + 1, 1));
        if (due > after_ms) {
            if (quarter_id)
                *quarter_id = y * 10 + q;
            return due;
        }
        if (++q > 4) {
            q = 1;
            y++;
        }
    }
    return -1;
}
