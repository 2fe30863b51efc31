/* tender_rules: what makes a tender acceptable to the calendar, the fields derived from it,
 * and its status lifecycle (docs/domain.md#tenders, #rules). Pure functions over Mvoi__Tender.
 *
 * Decisions where the plan is silent (each enforced here, in one place):
 *  - SROI (plan section 5f, "2-5 % of the contract sum for any kind of contract"):
 *    a non-zero sroi_pct_bp must be 200..500; outside that range only with a non-empty
 *    sroi_exempt_reason (still at most 10000 = 100 %). 0 (or absent) is allowed when an
 *    exemption reason is given or when social_return is not among the tender's themes;
 *    with social_return in scope and no exemption, 0 is rejected.
 *  - sroi_obligation_cents = value_cents x bp / 10000, rounded half up on whole cents
 *    (tender_sroi_obligation_cents is the only place that rounds it).
 *  - ambition_complete: at least one theme in scope and every theme's commitment set. An
 *    empty theme list means the ambition has not been recorded (plan section 6).
 *  - procedure: derived unless procedure_override is set (then the given procedure, 1..4,
 *    is kept). Without an estimated value (has_value_cents false) or without a threshold
 *    table in force at the date, the procedure stays UNSPECIFIED (and threshold_period
 *    empty) instead of guessing; this is not an error, so historic imports still register.
 *  - kickoff_required: procedure nationaal_openbaar or europees_openbaar (plan section 5,
 *    "startsessie per openbare aanbesteding").
 *  - status: UNSPECIFIED becomes PLANNED on derive.
 *  - lifecycle: see tender_transition_allowed.
 *  - title length counts UTF-8 code points; every string must be valid UTF-8. */
#ifndef TENDER_RULES_H
#define TENDER_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.pb-c.h"
#include "mvoi_id.h"
#include "text.h"
#include "isv_map.h"
#include "thresholds.h"

/* The error a rule reports: code is a Mvoi__ErrorCode (system.proto), field a dotted path
 * into the request ("tender.themes[2].commitment"), message a human reason. Maps 1:1 onto
 * mvoi.Error. */
typedef struct {
    int code;
    char field[96];
    char message[256];      /* English (logs, callers without a language) */
    char message_nl[256];   /* the same in Dutch, "" when not set: the catalogue's text */
} tender_error_t;

#define TENDER_ID_MAX MVOI_ID_MAX   /* the one id rule: mvoi_id.h */
#define TENDER_TITLE_MAX 300
#define TENDER_DESCRIPTION_MAX 4000 /* bytes */
#define TENDER_CANCEL_REASON_MAX 500 /* bytes, one line */
/* an OCDS cancellation's release id and date as written (Tender.cancel_ocds), one line */
#define TENDER_OCDS_RELEASE_ID_MAX 200
#define TENDER_OCDS_RELEASE_DATE_MAX 64
#define TENDER_VALUE_LIMIT_CENTS 10000000000000LL /* 10^13 cents = 100 billion euros, exclusive */
#define TENDER_SROI_MIN_BP 200
#define TENDER_SROI_MAX_BP 500

/* Fill err (if not NULL) and return rc; used by all calendar modules. fmt is English; the
 * catalogue's "tender.err." entry with that English text gives the Dutch (message_nl),
 * formatted from the same arguments (textfmt.h: numbers grouped, dates in words). */
int tender_error_set(tender_error_t *err, int rc, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A status as a tender_error_set argument: said in words in the message's language
 * ("gegund" / "awarded": catalogue "tender.status.*", TEXTFMT_WORD); for textfmt only. */
const char *tender_status_word(Mvoi__TenderStatus s);

/* err's message in lang (never NULL). */
const char *tender_error_text(const tender_error_t *err, text_lang_t lang);

/* Check the caller-supplied fields of t for RegisterTender/UpdateTender/UpsertTender.
 * Derived fields are not checked (they are overwritten by tender_derive).
 * Returns 0 or -EINVAL with err->code = ERR_INVALID_ARGUMENT. */
int tender_validate(const Mvoi__Tender *t, tender_error_t *err);
/* One line of text for people (a title, a name, a reason that goes into mails and calendar
 * lines): valid UTF-8, at most max_bytes, no control character; else -EINVAL naming field. */
int tender_check_line(const char *s, size_t max_bytes, const char *field, tender_error_t *err);

/* Compute the derived fields of a valid tender in place: procedure, threshold_period,
 * kickoff_required, ambition_complete, sroi_obligation_cents, isv_risk_group (only when
 * isv is given), status (UNSPECIFIED -> PLANNED). today ("YYYY-MM-DD", the caller's clock)
 * dates the threshold table when planned_publication is empty. String fields of t must be
 * NULL or heap-owned (as after unpack or tender_util builders). Returns 0, -EINVAL (bad
 * today, no thresholds) or -ENOMEM. */
int tender_derive(Mvoi__Tender *t, const thresholds_t *th, const isv_map_t *isv,
                  const char *today, tender_error_t *err);

/* tender_validate then tender_derive. */
int tender_prepare(Mvoi__Tender *t, const thresholds_t *th, const isv_map_t *isv,
                   const char *today, tender_error_t *err);

/* value x bp / 10000 in cents, round half up. Inputs are the validated ranges
 * (value < 10^13, bp <= 10000) so the product fits in int64. Negative value gives 0. */
int64_t tender_sroi_obligation_cents(int64_t value_cents, uint32_t bp);

bool tender_ambition_complete(const Mvoi__Tender *t);
bool tender_theme_in_scope(const Mvoi__Tender *t, Mvoi__Theme theme);
bool tender_procedure_is_public(Mvoi__Procedure p);
bool tender_status_terminal(Mvoi__TenderStatus s);

/* May a tender (current content t, required) move from -> to?
 * Order: planned < kickoff_scheduled < ambition_recorded < published < awarded <
 * in_execution < completed. Rules:
 *  - only forward (to > from); the same status again is refused; completed and cancelled
 *    are terminal;
 *  - cancelled is reachable from every non-terminal status;
 *  - forward skips are allowed, with two conditions checked against t:
 *    (a) leaving planned for ambition_recorded or later (skipping kickoff_scheduled)
 *        requires kickoff_required == false;
 *    (b) reaching ambition_recorded or later requires ambition_complete (plan section 6:
 *        the ambition is recorded at the start, before publication);
 *  - kickoff_scheduled is allowed for any tender (a non-public tender may have one too).
 * Returns 0, -EINVAL (unknown status value, ERR_INVALID_ARGUMENT) or -EPERM
 * (ERR_FAILED_PRECONDITION, field "status"). */
int tender_transition_allowed(Mvoi__TenderStatus from, Mvoi__TenderStatus to,
                              const Mvoi__Tender *t, tender_error_t *err);

/* Does the change old -> t keep a recorded ambition? A tender at ambition_recorded or later
 * whose ambition is complete must stay complete: the status says "recorded" (the KPIs count
 * it, the reminders stopped), so an edit, an ambition command or a re-imported sheet without
 * the themes that drops a theme's commitment (or every theme) would leave a status that is
 * no longer true, silently. Refused instead, naming the themes that would be lost; a tender
 * whose ambition was already incomplete (imported that way) is not blocked by this. old
 * NULL, or terminal, is always fine (terminal ones are refused elsewhere). Returns 0 or
 * -EPERM (ERR_FAILED_PRECONDITION, field "tender.themes"). */
int tender_ambition_kept(const Mvoi__Tender *old, const Mvoi__Tender *t, tender_error_t *err);

#endif
