/* tender_rules: see tender_rules.h for the rules and the decisions behind them. */
#include "mvoi_id_text.h"
#include "tender_rules.h"
#include "tender_method.h"
#include "cal_date.h"
#include "mvoi_names.h"
#include "cal_str.h"
#include "mvoi_id.h"
#include "system.pb-c.h"
#include "textfmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define S_INVALID MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

int tender_error_set(tender_error_t *err, int rc, int code, const char *field, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        cal_str_copy(err->field, sizeof err->field, field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        textfmt_vtr(err->message, sizeof err->message, TEXT_EN, "tender.err.", fmt, ap);
        va_end(ap);
        va_start(ap, fmt);
        textfmt_vtr(err->message_nl, sizeof err->message_nl, TEXT_NL, "tender.err.", fmt, ap);
        va_end(ap);
    }
    return rc;
}

const char *tender_status_word(Mvoi__TenderStatus s)
{
#define S_W(name) TEXTFMT_WORD "tender.status." name
    switch (s) {
    case MVOI__TENDER_STATUS__STATUS_PLANNED: return S_W("planned");
    case MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED: return S_W("kickoff_scheduled");
    case MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED: return S_W("ambition_recorded");
    case MVOI__TENDER_STATUS__STATUS_PUBLISHED: return S_W("published");
    case MVOI__TENDER_STATUS__STATUS_AWARDED: return S_W("awarded");
    case MVOI__TENDER_STATUS__STATUS_IN_EXECUTION: return S_W("in_execution");
    case MVOI__TENDER_STATUS__STATUS_COMPLETED: return S_W("completed");
    case MVOI__TENDER_STATUS__STATUS_CANCELLED: return S_W("cancelled");
    default: return mvoi_status_name(s);
    }
#undef S_W
}

const char *tender_error_text(const tender_error_t *err, text_lang_t lang)
{
    if (!err)
        return "";
    return lang == TEXT_NL && err->message_nl[0] ? err->message_nl : err->message;
}

/* Every string: valid UTF-8 and bounded, so nothing downstream (JSON, mail, logs) chokes. */
static int s_check_str(const char *s, size_t max_bytes, const char *field, tender_error_t *err)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (n > max_bytes)
        return tender_error_set(err, -EINVAL, S_INVALID, field, "longer than %zu bytes", max_bytes);
    if (!cal_utf8_valid(s, n))
        return tender_error_set(err, -EINVAL, S_INVALID, field, "not valid UTF-8");
    return 0;
}

/* One line of text (a title, a name, an address): as s_check_str, and no control
 * character. These go into mail headers, subjects and calendar lines; a CR LF in a title
 * wrote a Bcc: header into the kick-off invitation. */
static int s_check_line(const char *s, size_t max_bytes, const char *field, tender_error_t *err)
{
    int rc = s_check_str(s, max_bytes, field, err);
    if (rc < 0 || !s)
        return rc;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned cp = p[0] < 0x20 || p[0] == 0x7f ? p[0]
                    : p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f ? p[1] : 0x100;
        if (cp < 0x100)   /* C0, DEL, or C1 (U+0080..U+009F, UTF-8 C2 80..9F) */
            return tender_error_set(err, -EINVAL, S_INVALID, field,
                                    "character %zu is a control character (U+%04X): one line "
                                    "of text", (size_t)(p - (const unsigned char *)s) + 1, cp);
    }
    return 0;
}

int tender_check_line(const char *s, size_t max_bytes, const char *field, tender_error_t *err)
{
    return s_check_line(s, max_bytes, field, err);
}

/* The one rule for an address (mvoi_id_address_why), as the notifier's configuration. */
static bool s_email_ok(const char *e)
{
    mvoi_id_why_t w;
    return mvoi_id_address_why(e, &w) == 0;
}

static int s_check_person(const Mvoi__Person *p, const char *name, tender_error_t *err)
{
    char field[96];
    if (!p)
        return 0;
    snprintf(field, sizeof field, "tender.%s.name", name);
    int rc = s_check_line(p->name, 200, field, err);
    if (rc < 0)
        return rc;
    snprintf(field, sizeof field, "tender.%s.email", name);
    if ((rc = s_check_line(p->email, 254, field, err)) < 0)
        return rc;
    if (!cal_str_empty(p->email) && !s_email_ok(p->email)) {
        /* at most 120 bytes, cut at a character's start: "%.120s" alone could end the
         * reason inside a character, and a reason that is not UTF-8 is not text */
        char shown[121];
        cal_str_copy(shown, sizeof shown, p->email);
        return tender_error_set(err, -EINVAL, S_INVALID, field, "'%.120s' is not an e-mail address",
                                shown);
    }
    return 0;
}

static int s_check_date(const char *d, const char *field, tender_error_t *err)
{
    if (cal_str_empty(d))
        return 0;
    if (!cal_date_valid(d)) {
        char shown[41];   /* as the address: cut at a character's start */
        cal_str_copy(shown, sizeof shown, d);
        return tender_error_set(err, -EINVAL, S_INVALID, field,
                                "'%.40s' is not a calendar date YYYY-MM-DD", shown);
    }
    return 0;
}

/* SDGs 1..17, each at most once. */
static int s_check_sdgs(const uint32_t *sdgs, size_t n, const char *base, tender_error_t *err)
{
    uint32_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        char field[96];
        snprintf(field, sizeof field, "%s[%zu]", base, i);
        if (sdgs[i] < 1 || sdgs[i] > 17)
            return tender_error_set(err, -EINVAL, S_INVALID, field, "SDG %u is not 1..17", sdgs[i]);
        if (seen & (1u << sdgs[i]))
            return tender_error_set(err, -EINVAL, S_INVALID, field, "SDG %u listed twice", sdgs[i]);
        seen |= 1u << sdgs[i];
    }
    return 0;
}

static bool s_cpv_ok(const char *c)
{
    size_t n = strlen(c);
    if (n != 8 && n != 10)
        return false;
    for (size_t i = 0; i < 8; i++)
        if (c[i] < '0' || c[i] > '9')
            return false;
    return n == 8 || (c[8] == '-' && c[9] >= '0' && c[9] <= '9');
}

bool tender_theme_in_scope(const Mvoi__Tender *t, Mvoi__Theme theme)
{
    for (size_t i = 0; t && i < t->n_themes; i++)
        if (t->themes[i] && t->themes[i]->theme == theme)
            return true;
    return false;
}

static int s_check_themes(const Mvoi__Tender *t, tender_error_t *err)
{
    uint32_t seen = 0;
    for (size_t i = 0; i < t->n_themes; i++) {
        const Mvoi__ThemeAmbition *a = t->themes[i];
        char field[96];
        snprintf(field, sizeof field, "tender.themes[%zu].theme", i);
        if (!a || a->theme < MVOI__THEME__THEME_KLIMAAT || a->theme > MVOI__THEME__THEME_SOCIAL_RETURN)
            return tender_error_set(err, -EINVAL, S_INVALID, field, "unknown theme %d", a ? (int)a->theme : 0);
        if (seen & (1u << a->theme))
            return tender_error_set(err, -EINVAL, S_INVALID, field, "theme %s listed twice",
                                    mvoi_theme_name(a->theme));
        seen |= 1u << a->theme;
        snprintf(field, sizeof field, "tender.themes[%zu].commitment", i);
        if (a->commitment < MVOI__COMMITMENT__COMMIT_UNSPECIFIED || a->commitment > MVOI__COMMITMENT__COMMIT_INNOVATIE)
            return tender_error_set(err, -EINVAL, S_INVALID, field, "unknown commitment %d", (int)a->commitment);
        snprintf(field, sizeof field, "tender.themes[%zu].sdgs", i);
        int rc = s_check_sdgs(a->sdgs, a->n_sdgs, field, err);
        if (rc < 0)
            return rc;
        snprintf(field, sizeof field, "tender.themes[%zu].note", i);
        if ((rc = s_check_str(a->note, 1000, field, err)) < 0)
            return rc;
    }
    return 0;
}

static int s_check_sroi(const Mvoi__Tender *t, tender_error_t *err)
{
    uint32_t bp = t->has_sroi_pct_bp ? t->sroi_pct_bp : 0;
    bool exempt = !cal_str_empty(t->sroi_exempt_reason);
    int rc = s_check_str(t->sroi_exempt_reason, 500, "tender.sroi_exempt_reason", err);
    if (rc < 0)
        return rc;
    if (bp > 10000)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.sroi_pct_bp",
                                "%u basis points is more than 100 %%", bp);
    if (exempt)
        return 0;
    if (bp == 0) {
        if (tender_theme_in_scope(t, MVOI__THEME__THEME_SOCIAL_RETURN))
            return tender_error_set(err, -EINVAL, S_INVALID, "tender.sroi_pct_bp",
                                    "social_return is in scope: SROI must be 2-5 %% (200..500 bp) "
                                    "or give sroi_exempt_reason");
        return 0;
    }
    if (bp < TENDER_SROI_MIN_BP || bp > TENDER_SROI_MAX_BP)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.sroi_pct_bp",
                                "SROI %u.%02u %% is outside 2-5 %% (200..500 bp); "
                                "give sroi_exempt_reason to deviate",
                                bp / 100, bp % 100);
    return 0;
}

/* The fields an import brings from its source (description, award/contract dates, the
 * stated procurement method). */
static int s_check_source_fields(const Mvoi__Tender *t, tender_error_t *err)
{
    int rc;
    if ((rc = s_check_str(t->description, TENDER_DESCRIPTION_MAX, "tender.description", err)) < 0 ||
        (rc = s_check_date(t->award_date, "tender.award_date", err)) < 0 ||
        (rc = s_check_date(t->contract_signed, "tender.contract_signed", err)) < 0 ||
        (rc = s_check_line(t->procurement_method, 32, "tender.procurement_method", err)) < 0 ||
        (rc = s_check_str(t->procurement_method_details, 200, "tender.procurement_method_details",
                          err)) < 0)
        return rc;
    int64_t at;
    if ((rc = s_check_line(t->source_release_date, 64, "tender.source_release_date", err)) < 0)
        return rc;
    if (!cal_str_empty(t->source_release_date) &&
        cal_date_instant_us(t->source_release_date, &at) < 0)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.source_release_date",
                                "'%.64s' is not a point in time (2025-06-01T09:00:00+02:00)",
                                t->source_release_date);
    if (!cal_str_empty(t->procurement_method) &&
        tender_method_procedure(t->procurement_method, t->procurement_method_details,
                                MVOI__PROCEDURE__PROC_UNSPECIFIED, NULL, NULL, 0) < 0)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.procurement_method",
                                "'%.32s' is not an OCDS procurement method (open, selective, "
                                "limited, direct)", t->procurement_method);
    return 0;
}

int tender_validate(const Mvoi__Tender *t, tender_error_t *err)
{
    int rc;
    if (!t)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender", "missing");

    if (cal_str_empty(t->id))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.id", "required");
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check_str(MVOI_ID_TENDER, t->id, why, sizeof why) != 0) {
        rc = tender_error_set(err, -EINVAL, S_INVALID, "tender.id", "%s", why);
        if (err)   /* the reason is mvoi_id's: its Dutch is in the catalogue's "id.err." */
            mvoi_id_check_in(TEXT_NL, MVOI_ID_TENDER, t->id, err->message_nl,
                             sizeof err->message_nl);
        return rc;
    }

    if (cal_str_empty(t->buyer))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.buyer", "required");
    /* A name as an import found it ("Gemeente Heerlen"): the service files the tender
     * under the request's buyer id, checked by mvoi_id where the request came in. */
    if ((rc = s_check_line(t->buyer, 200, "tender.buyer", err)) < 0)
        return rc;

    if (cal_str_empty(t->title))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.title", "required");
    if ((rc = s_check_line(t->title, 4 * TENDER_TITLE_MAX, "tender.title", err)) < 0)
        return rc;
    if (cal_utf8_len(t->title) > TENDER_TITLE_MAX)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.title", "longer than %d characters", TENDER_TITLE_MAX);

    if ((rc = s_check_line(t->purchasing_group, 100, "tender.purchasing_group", err)) < 0)
        return rc;

    if (!t->has_kind || t->kind < MVOI__TENDER_KIND__KIND_LEVERINGEN || t->kind > MVOI__TENDER_KIND__KIND_WERKEN)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.kind",
                                "required: leveringen, diensten or werken");

    if ((rc = s_check_line(t->cpv, 16, "tender.cpv", err)) < 0)
        return rc;
    if (!cal_str_empty(t->cpv) && !s_cpv_ok(t->cpv))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.cpv",
                                "'%.16s' is not a CPV code (8 digits, optional -check digit)", t->cpv);

    if (t->has_value_cents && (t->value_cents < 0 || t->value_cents >= TENDER_VALUE_LIMIT_CENTS))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.value_cents",
                                "%lld is outside 0 .. 10^13-1 cents", (long long)t->value_cents);

    if ((rc = s_check_date(t->planned_publication, "tender.planned_publication", err)) < 0 ||
        (rc = s_check_date(t->contract_start, "tender.contract_start", err)) < 0 ||
        (rc = s_check_date(t->contract_end, "tender.contract_end", err)) < 0)
        return rc;
    if (!cal_str_empty(t->contract_start) && !cal_str_empty(t->contract_end) &&
        cal_date_cmp(t->contract_end, t->contract_start) < 0)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.contract_end",
                                "%s is before contract_start %s", t->contract_end, t->contract_start);

    if ((rc = s_check_person(t->project_leader, "project_leader", err)) < 0 ||
        (rc = s_check_person(t->budget_holder, "budget_holder", err)) < 0 ||
        (rc = s_check_person(t->procurement_adviser, "procurement_adviser", err)) < 0)
        return rc;

    if ((rc = s_check_themes(t, err)) < 0)
        return rc;
    if ((rc = s_check_sdgs(t->sdgs, t->n_sdgs, "tender.sdgs", err)) < 0)
        return rc;
    if ((rc = s_check_sroi(t, err)) < 0)
        return rc;

    if (t->has_status && (t->status < MVOI__TENDER_STATUS__STATUS_UNSPECIFIED ||
                          t->status > MVOI__TENDER_STATUS__STATUS_CANCELLED))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.status", "unknown status %d", (int)t->status);
    if (t->procedure_override &&
        (t->procedure < MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS || t->procedure > MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR))
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.procedure",
                                "procedure_override needs a procedure (enkelvoudig_onderhands .. europees_openbaar)");
    if ((rc = s_check_line(t->cancel_reason, TENDER_CANCEL_REASON_MAX, "tender.cancel_reason",
                                   err)) < 0 ||
        (rc = s_check_line(t->source, 200, "tender.source", err)) < 0)
        return rc;
    if (t->cancel_ocds &&
        ((rc = s_check_line(t->cancel_ocds->release_id, TENDER_OCDS_RELEASE_ID_MAX,
                            "tender.cancel_ocds.release_id", err)) < 0 ||
         (rc = s_check_line(t->cancel_ocds->release_date, TENDER_OCDS_RELEASE_DATE_MAX,
                            "tender.cancel_ocds.release_date", err)) < 0))
        return rc;
    return s_check_source_fields(t, err);
}

int64_t tender_sroi_obligation_cents(int64_t value_cents, uint32_t bp)
{
    if (value_cents <= 0 || bp == 0)
        return 0;
    /* round half up: add half the divisor before the integer division */
    return (value_cents * (int64_t)bp + 5000) / 10000;
}

bool tender_ambition_complete(const Mvoi__Tender *t)
{
    if (!t || t->n_themes == 0)
        return false;
    for (size_t i = 0; i < t->n_themes; i++)
        if (!t->themes[i] || t->themes[i]->commitment == MVOI__COMMITMENT__COMMIT_UNSPECIFIED)
            return false;
    return true;
}

bool tender_procedure_is_public(Mvoi__Procedure p)
{
    return p == MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR || p == MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR;
}

bool tender_status_terminal(Mvoi__TenderStatus s)
{
    return s == MVOI__TENDER_STATUS__STATUS_COMPLETED || s == MVOI__TENDER_STATUS__STATUS_CANCELLED;
}

int tender_derive(Mvoi__Tender *t, const thresholds_t *th, const isv_map_t *isv,
                  const char *today, tender_error_t *err)
{
    if (!t || !th)
        return tender_error_set(err, -EINVAL, MVOI__ERROR_CODE__ERR_INTERNAL, "tender",
                                "derive needs a tender and threshold tables");
    if (cal_str_empty(t->planned_publication) && !cal_date_valid(today))
        return tender_error_set(err, -EINVAL, MVOI__ERROR_CODE__ERR_INTERNAL, "today",
                                "no planned publication and no valid today date");

    Mvoi__Procedure proc = t->procedure_override ? t->procedure : MVOI__PROCEDURE__PROC_UNSPECIFIED;
    const char *period = NULL;
    if (t->has_value_cents && t->has_kind) {
        thresholds_result_t r;
        int rc = thresholds_derive(th, t->kind, t->value_cents, t->planned_publication, today, &r);
        if (rc == 0) {
            period = r.period;
            if (!t->procedure_override)
                proc = r.procedure;
        } else if (rc != -ENOENT) {
            return tender_error_set(err, rc, S_INVALID, "tender", "cannot derive procedure");
        }
    }
    if (!t->procedure_override && !cal_str_empty(t->procurement_method) &&
        tender_method_procedure(t->procurement_method, t->procurement_method_details, proc, &proc,
                                NULL, 0) < 0)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender.procurement_method",
                                "unknown procurement method");
    if (cal_str_set(&t->threshold_period, period) < 0)
        return tender_error_set(err, -ENOMEM, MVOI__ERROR_CODE__ERR_INTERNAL, "tender", "out of memory");
    t->has_procedure = proc != MVOI__PROCEDURE__PROC_UNSPECIFIED;
    t->procedure = proc;
    t->has_kickoff_required = 1;
    t->kickoff_required = tender_procedure_is_public(proc);
    t->has_ambition_complete = 1;
    t->ambition_complete = tender_ambition_complete(t);
    t->has_sroi_obligation_cents = 1;
    t->sroi_obligation_cents = tender_sroi_obligation_cents(t->has_value_cents ? t->value_cents : 0,
                                                            t->has_sroi_pct_bp ? t->sroi_pct_bp : 0);
    if (isv && cal_str_set(&t->isv_risk_group, isv_map_lookup(isv, t->purchasing_group, t->cpv)) < 0)
        return tender_error_set(err, -ENOMEM, MVOI__ERROR_CODE__ERR_INTERNAL, "tender", "out of memory");
    if (!t->has_status || t->status == MVOI__TENDER_STATUS__STATUS_UNSPECIFIED) {
        t->has_status = 1;
        t->status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    }
    return 0;
}

int tender_prepare(Mvoi__Tender *t, const thresholds_t *th, const isv_map_t *isv,
                   const char *today, tender_error_t *err)
{
    int rc = tender_validate(t, err);
    return rc < 0 ? rc : tender_derive(t, th, isv, today, err);
}

int tender_transition_allowed(Mvoi__TenderStatus from, Mvoi__TenderStatus to,
                              const Mvoi__Tender *t, tender_error_t *err)
{
    const int pre = MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION;
    if (from < MVOI__TENDER_STATUS__STATUS_PLANNED || from > MVOI__TENDER_STATUS__STATUS_CANCELLED)
        return tender_error_set(err, -EINVAL, S_INVALID, "status", "unknown current status %d", (int)from);
    if (to < MVOI__TENDER_STATUS__STATUS_PLANNED || to > MVOI__TENDER_STATUS__STATUS_CANCELLED)
        return tender_error_set(err, -EINVAL, S_INVALID, "status", "unknown status %d", (int)to);
    if (!t)
        return tender_error_set(err, -EINVAL, S_INVALID, "tender", "missing");
    if (tender_status_terminal(from))
        return tender_error_set(err, -EPERM, pre, "status", "tender is %s: no further changes",
                                tender_status_word(from));
    if (to == from)
        return tender_error_set(err, -EPERM, pre, "status", "tender is already %s", tender_status_word(from));
    if (to == MVOI__TENDER_STATUS__STATUS_CANCELLED)
        return 0;
    if (to < from)
        return tender_error_set(err, -EPERM, pre, "status", "cannot go back from %s to %s",
                                tender_status_word(from), tender_status_word(to));
    if (to >= MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED) {
        if (from == MVOI__TENDER_STATUS__STATUS_PLANNED && t->kickoff_required)
            return tender_error_set(err, -EPERM, pre, "status",
                                    "a public tender needs its kick-off session: schedule it before %s",
                                    tender_status_word(to));
        if (!tender_ambition_complete(t))
            return tender_error_set(err, -EPERM, pre, "status",
                                    "%s needs the ambition recorded: every theme in scope with a commitment",
                                    tender_status_word(to));
    }
    return 0;
}

/* "klimaat:eis, circulair:gunning": what the stored ambition says, for the refusal. */
static void s_ambition_text(const Mvoi__Tender *t, char *out, size_t outlen)
{
    /* 6 bytes kept for ", ...": the list says it goes on rather than cut a name */
    size_t n = 0, cap = outlen > 6 ? outlen - 6 : 0;
    out[0] = '\0';
    for (size_t i = 0; i < t->n_themes && cap; i++) {
        const Mvoi__ThemeAmbition *a = t->themes[i];
        if (!a)
            continue;
        char one[64];
        int w = snprintf(one, sizeof one, "%s%s:%s", n ? ", " : "", mvoi_theme_name(a->theme),
                         mvoi_commitment_name(a->commitment));
        if (w < 0 || (size_t)w >= sizeof one || n + (size_t)w >= cap) {
            memcpy(out + n, n ? ", ..." : "...", n ? 6 : 4);
            break;
        }
        memcpy(out + n, one, (size_t)w + 1);
        n += (size_t)w;
    }
}

int tender_ambition_kept(const Mvoi__Tender *old, const Mvoi__Tender *t, tender_error_t *err)
{
    if (!old || !t || tender_status_terminal(old->status) ||
        old->status < MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED ||
        !tender_ambition_complete(old) || tender_ambition_complete(t))
        return 0;
    /* fits the 256-byte message whole: 17 (status) + 90 + 80 of text; the request names
     * the tender */
    char was[90];
    s_ambition_text(old, was, sizeof was);
    return tender_error_set(err, -EPERM, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                            "tender.themes",
                            "the tender is %s, its ambition recorded (%s): this would leave a "
                            "theme in scope without a commitment", tender_status_word(old->status),
                            was);
}
