/*  nt_rules: when which reminder is due (docs/domain.md#rules). Pure functions of a tender,
 *  the configuration and the working-day calendar; no I/O.
 *
 *  Rules (all times Europe/Amsterdam, defaults in brackets, every number configurable):
 *  - kick-off session for a public tender (kickoff_required, or a nationaal/europees openbaar
 *    procedure): on the working day kickoff_lead_days [21] calendar days before the planned
 *    publication (moved back to the previous working day), at kickoff_hour [10]:00 for
 *    kickoff_minutes [60]; when that is not at least one working day after registration
 *    (registration later than the lead time, or no publication date), on the first working
 *    day after the registration day instead. The invitation is due at once.
 *  - kick-off reminder: reminder_days_before [2] working days before the session, at
 *    reminder_hour [9]:00; skipped when that moment is not after the invitation.
 *  - kick-off too late: when the session is fewer than kickoff_min_lead_days [10] calendar
 *    days before the planned publication (or after it), the coordinator is told at once
 *    (once per version of the session).
 *  - ambition missing: the ambition is recorded at the kick-off, so the count starts there
 *    (ambition_start [kickoff]; "registration" restores the old rule; tenders without a
 *    kick-off count from registration): the first reminder ambition_interval_days [7] after
 *    the session's day (or registration), each next one interval days after the previous
 *    one was due (after an outage: interval days from now, so it yields one, not a burst),
 *    on a working day at reminder_hour; from reminder escalation_after [2] + 1 on it is an
 *    escalation to the budget holder; at most ambition_max [10]. A session that moves
 *    moves a first reminder not yet sent. Stops once the tender is published, further, or
 *    cancelled.
 *  - two SDG dialogues for a pilot (pilot flag or an `innovatie` commitment): sessions at
 *    the start of the contract and halfway through it (without contract dates: planned
 *    publication and 90 days later), working day on/after, kickoff_hour for kickoff_minutes;
 *    the invitation (iCalendar) goes out sdg_invite_days [10] working days before, at
 *    reminder_hour (at once if that moment has passed).
 *  - measurement requests: after each measurement period [3 months, calendar quarters] that
 *    ends inside the contract, and at the contract end: first working day after the period
 *    (or the contract) ended, reminder_hour. A period that ends on the contract end day is
 *    the contract-end request. The period runs from the contract start (or the previous
 *    period's end) to its end; the measurements are due measurement_deadline_days [30]
 *    after it (the first working day on/after).
 *  - quarterly KPI report to the core team: first working day of each quarter, reminder_hour.
 */
#ifndef MVOI_NT_RULES_H
#define MVOI_NT_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include "calendar.pb-c.h"
#include "notify.pb-c.h"
#include "nt_cal.h"

typedef struct {
    int kickoff_lead_days;      /* 21 */
    int kickoff_hour;           /* 10 */
    int kickoff_minutes;        /* 60 */
    int reminder_days_before;   /* 2 */
    int reminder_hour;          /* 9 */
    int ambition_interval_days; /* 7 */
    int escalation_after;       /* 2 */
    int ambition_max;           /* 10 */
    int measurement_months;     /* 3 */
    int kickoff_min_lead_days;  /* 10 */
    int measurement_deadline_days; /* 30 */
    int sdg_invite_days;        /* 10 working days */
    bool ambition_after_kickoff; /* true */
} nt_rules_cfg_t;

/* "kickoff" -> true, "registration" -> false; -EINVAL otherwise. */
int nt_rules_start_parse(const char *s, bool *after_kickoff);
/* Whether a session at meeting_start_ms is too close to (or after) the planned publication;
 * false without a publication date. */
bool nt_rules_kickoff_late(const nt_rules_cfg_t *cfg, const Mvoi__Tender *t,
                           int64_t meeting_start_ms);
/* Where the ambition reminders count from: the session's start when there is one and the
 * rule says so, else registration. */
int64_t nt_rules_ambition_from(const nt_rules_cfg_t *cfg, int64_t meeting_start_ms,
                               int64_t registered_ms);

void nt_rules_defaults(nt_rules_cfg_t *cfg);

bool nt_rules_kickoff_required(const Mvoi__Tender *t);
bool nt_rules_is_pilot(const Mvoi__Tender *t);
/* Whether ambition reminders apply now (not complete, not published/cancelled). */
bool nt_rules_ambition_open(const Mvoi__Tender *t);

/* The kick-off session; registered_ms = when the tender was registered. */
int nt_rules_kickoff_slot(const nt_rules_cfg_t *cfg, nt_cal_t *cal, const Mvoi__Tender *t,
                          int64_t registered_ms, int64_t *start_ms, int64_t *end_ms);

/* A due reminder of the plan. */
typedef struct {
    Mvoi__ReminderKind kind;
    uint32_t ordinal;           /* 1.. within its kind */
    int64_t due_ms;
    int64_t start_ms, end_ms;   /* SDG dialogue: the session */
    int64_t period_start, period_end, deadline;   /* measurement: days since epoch */
} nt_due_t;

/* Dated reminders of a tender other than invitation/ambition (kick-off reminder, SDG
 * dialogues, measurement requests), in due order. meeting_start_ms 0 = no kick-off.
 * invited_ms: when the invitation went out (kick-off reminders must be later).
 * Returns the number written (at most max). */
int nt_rules_plan(const nt_rules_cfg_t *cfg, nt_cal_t *cal, const Mvoi__Tender *t,
                  int64_t meeting_start_ms, int64_t invited_ms, nt_due_t *out, int max);

/* The n-th (1-based) ambition reminder: the first is interval days after registration,
 * each next one interval days after the previous one was sent (prev_ms). */
int64_t nt_rules_ambition_due(const nt_rules_cfg_t *cfg, nt_cal_t *cal, int64_t from_ms);
Mvoi__ReminderKind nt_rules_ambition_kind(const nt_rules_cfg_t *cfg, uint32_t ordinal);

/* The quarterly report reminder strictly after after_ms; *quarter_id gets year*10+q. */
int64_t nt_rules_quarter_due(const nt_rules_cfg_t *cfg, nt_cal_t *cal, int64_t after_ms,
                             int *quarter_id);

/* reminder_hour on the first working day on/after days. */
int64_t nt_rules_at(const nt_rules_cfg_t *cfg, nt_cal_t *cal, int64_t days);

#endif
