/* ocds_import: see ocds_import.h for the mapping and the decisions. */
#include "ocds_import.h"
#include "textfmt.h"
#include "cal_date.h"
#include "cal_file.h"
#include "cal_str.h"
#include "tender_cancel_ocds.h"
#include "tender_method.h"
#include "tender_rules.h"
#include "tender_util.h"
#include "mvoi_id.h"
#include "mvoi_id_text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *ocid; /* borrowed from rel */
    const char *date; /* borrowed, "" when absent */
    bool has_at;      /* date read as a point in time (at, µs UTC) */
    int64_t at;
    size_t seq;       /* arrival order, for a stable sort */
    json_t *rel;      /* owned reference */
} s_rel_t;

struct ocds_import {
    s_rel_t *rels;
    size_t n;
};

int ocds_import_new(ocds_import_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void ocds_import_destroy(ocds_import_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->n; i++)
        json_decref((*self_p)->rels[i].rel);
    free((*self_p)->rels);
    free(*self_p);
    *self_p = NULL;
}

static int s_add_release(ocds_import_t *self, json_t *rel)
{
    const char *ocid = json_string_value(json_object_get(rel, "ocid"));
    if (!json_is_object(rel) || cal_str_empty(ocid))
        return 0; /* linked releases (url only) and junk carry nothing to import */
    s_rel_t *nr = realloc(self->rels, (self->n + 1) * sizeof *nr);
    if (!nr)
        return -ENOMEM;
    self->rels = nr;
    const char *date = json_string_value(json_object_get(rel, "date"));
    nr[self->n] = (s_rel_t){.ocid = ocid, .date = date ? date : "", .seq = self->n, .rel = json_incref(rel)};
    nr[self->n].has_at = cal_date_instant_us(nr[self->n].date, &nr[self->n].at) == 0;
    self->n++;
    return 0;
}

int ocds_import_add_json(ocds_import_t *self, const char *text, size_t len, char *err, size_t errlen)
{
    return ocds_import_add_json_in(self, text, len, TEXT_EN, err, errlen);
}

/* A document jansson refused for a byte that is no UTF-8: the byte and where it is (offset
 * in the file, from 0; line and character from 1), in lang. false when no such byte is
 * found (jansson's own text then stays). */
static bool s_not_utf8(const char *text, size_t len, size_t skipped, text_lang_t lang,
                       char *err, size_t errlen)
{
    size_t at = cal_utf8_bad(text, len), line = 1, chr = 1;
    if (at == len || !err || !errlen)
        return at < len;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n')
            line++, chr = 1;
        else if (((unsigned char)text[i] & 0xC0) != 0x80)
            chr++;
    }
    textfmt_tr(err, errlen, lang, "tender.ocds.", "not UTF-8: byte 0x%02X at offset %zu (line "
               "%zu, character %zu): save the file as UTF-8", (unsigned char)text[at],
               at + skipped, line, chr);
    return true;
}

int ocds_import_add_json_in(ocds_import_t *self, const char *text, size_t len, text_lang_t lang,
                            char *err, size_t errlen)
{
    json_error_t je;
    size_t skipped = 0;   /* the BOM's bytes: an offset is the file's */
    /* A UTF-8 byte order mark (Notepad, PowerShell's Out-File, Excel's exports write one):
     * jansson refuses it ("'[' or '{' expected near '\xef\xbb\xbf'"), so a feed saved on
     * Windows was refused for three invisible bytes. RFC 8259 lets a reader ignore it; the
     * CSV reader does. */
    if (text && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3, skipped = 3;
    /* integers stay integers (JSON_DECODE_INT_AS_REAL off): whole-euro amounts are exact.
     * A key twice in one object ("amount" of 250000 and of 25000000) is refused: jansson
     * kept the last without a word, one of two figures taken as the tender's value. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_invalid_utf8 &&
            s_not_utf8(text, len, skipped, lang, err, errlen))
            return -EINVAL;
        if (err && errlen)
            snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
        return -EINVAL;
    }
    int rc = 0;
    json_t *releases = json_object_get(root, "releases");
    json_t *records = json_object_get(root, "records");
    size_t i;
    json_t *v;
    if (json_is_array(releases)) {
        json_array_foreach(releases, i, v) if (rc == 0) rc = s_add_release(self, v);
    } else if (json_is_array(records)) {
        json_array_foreach(records, i, v) {
            json_t *compiled = json_object_get(v, "compiledRelease");
            if (rc < 0)
                break;
            if (json_is_object(compiled)) {
                rc = s_add_release(self, compiled);
            } else {
                size_t k;
                json_t *r;
                json_array_foreach(json_object_get(v, "releases"), k, r) if (rc == 0) rc = s_add_release(self, r);
            }
        }
    } else if (json_is_string(json_object_get(root, "ocid"))) {
        rc = s_add_release(self, root);
    } else {
        if (err && errlen)
            snprintf(err, errlen, "not OCDS: no releases, records or ocid");
        rc = -EINVAL;
    }
    json_decref(root);
    return rc;
}

int ocds_import_add_file(ocds_import_t *self, const char *path, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc = cal_file_read(path, 256u << 20, &buf, &len);
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    rc = ocds_import_add_json(self, buf, len, err, errlen);
    free(buf);
    return rc;
}

/* "1234.565" (digits, optional '.' and digits) -> cents, half up. */
static int s_decimal_cents(const char *s, int64_t *cents)
{
    int64_t euros = 0;
    int nd = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++nd > 11)
            return -EINVAL;
        euros = euros * 10 + (*p - '0');
    }
    if (nd == 0)
        return -EINVAL;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nf = 0;
        for (; *p >= '0' && *p <= '9'; p++, nf++) {
            if (nf < 2)
                frac = frac * 10 + (*p - '0');
            else if (nf == 2 && *p >= '5')
                frac++; /* half up, the calendar's one rounding rule */
        }
        if (nf == 0)
            return -EINVAL;
        if (nf == 1)
            frac *= 10;
    }
    if (*p)
        return -EINVAL;
    *cents = euros * 100 + frac;
    return 0;
}

int ocds_amount_cents(const json_t *amount, int64_t *cents)
{
    if (json_is_integer(amount)) {
        json_int_t v = json_integer_value(amount);
        if (v < 0 || v >= 100000000000LL)
            return -EINVAL;
        *cents = (int64_t)v * 100;
        return 0;
    }
    if (json_is_string(amount)) {
        const char *s = json_string_value(amount);
        return s_decimal_cents(s, cents);
    }
    if (json_is_real(amount)) {
        double d = json_real_value(amount);
        if (!isfinite(d) || d < 0 || d >= 1e11)
            return -EINVAL;
        /* The fewest decimals that read back as the same double is the text the publisher
         * wrote (for up to ~15 significant digits), e.g. 1234.565, not 1234.5649999... */
        char buf[64];
        for (int f = 0; f <= 17; f++) {
            snprintf(buf, sizeof buf, "%.*f", f, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return s_decimal_cents(buf, cents);
    }
    return -EINVAL;
}

/* ---- compiling --------------------------------------------------------------------- */

typedef struct {
    const char *title, *description, *buyer, *kind, *currency, *pub, *start, *end, *cpv;
    const char *method, *method_details, *award_date, *signed_date, *status_text;
    Mvoi__TenderStatus status;
    const char *status_release; /* id and date of the release that set the status */
    const char *status_date;
    const char *release_date;   /* of the newest release with a readable date */
    const json_t *amount;
    bool has_currency;          /* the release with the amount said which currency */
} s_fields_t;

static const char *s_str(const json_t *o, const char *path)
{
    /* dotted object path, e.g. "tender.value.currency" */
    char key[64];
    const char *p = path;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        p = dot ? dot + 1 : p + n;
    }
    return json_string_value(o);
}

static bool s_tagged(const json_t *rel, const char *tag)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rel, "tag"), i, v) {
        const char *t = json_string_value(v);
        if (t && strcmp(t, tag) == 0)
            return true;
    }
    return false;
}

/* The lifecycle a release shows, most advanced evidence first: a contract (active ->
 * in_execution, terminated -> completed), an active award (awarded), a cancellation tag or
 * tender.status. UNSPECIFIED when the release says nothing about it (incremental releases). */
static Mvoi__TenderStatus s_status(const json_t *rel)
{
    size_t i;
    json_t *v;
    bool active = false, terminated = false, award = false;
    json_array_foreach(json_object_get(rel, "contracts"), i, v) {
        const char *st = json_string_value(json_object_get(v, "status"));
        active = active || (st && strcmp(st, "active") == 0);
        terminated = terminated || (st && strcmp(st, "terminated") == 0);
    }
    if (terminated && !active)
        return MVOI__TENDER_STATUS__STATUS_COMPLETED;
    if (active)
        return MVOI__TENDER_STATUS__STATUS_IN_EXECUTION;
    json_array_foreach(json_object_get(rel, "awards"), i, v) {
        const char *st = json_string_value(json_object_get(v, "status"));
        award = award || (st && strcmp(st, "active") == 0);
    }
    if (award)
        return MVOI__TENDER_STATUS__STATUS_AWARDED;
    const char *ts = s_str(rel, "tender.status");
    if (s_tagged(rel, "tenderCancellation") ||
        (ts && (strcmp(ts, "cancelled") == 0 || strcmp(ts, "unsuccessful") == 0 ||
                strcmp(ts, "withdrawn") == 0)))
        return MVOI__TENDER_STATUS__STATUS_CANCELLED;
    if (!ts)
        return MVOI__TENDER_STATUS__STATUS_UNSPECIFIED;
    if (strcmp(ts, "planning") == 0 || strcmp(ts, "planned") == 0)
        return MVOI__TENDER_STATUS__STATUS_PLANNED;
    if (strcmp(ts, "active") == 0)
        return MVOI__TENDER_STATUS__STATUS_PUBLISHED;
    if (strcmp(ts, "complete") == 0)
        return MVOI__TENDER_STATUS__STATUS_AWARDED;
    return MVOI__TENDER_STATUS__STATUS_UNSPECIFIED;
}

/* First element of array `arr` of rel whose "status" is `status` (or `status2`), or NULL:
 * a pending award has no award date yet, a pending contract no signature. */
static const json_t *s_pick(const json_t *rel, const char *arr, const char *status,
                            const char *status2)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rel, arr), i, v) {
        const char *st = json_string_value(json_object_get(v, "status"));
        if (st && (strcmp(st, status) == 0 || (status2 && strcmp(st, status2) == 0)))
            return v;
    }
    return NULL;
}

static const char *s_buyer(const json_t *rel)
{
    const char *b = s_str(rel, "buyer.name");
    if (b)
        return b;
    size_t i, k;
    json_t *p, *role;
    json_array_foreach(json_object_get(rel, "parties"), i, p) {
        json_array_foreach(json_object_get(p, "roles"), k, role) {
            const char *r = json_string_value(role);
            if (r && strcmp(r, "buyer") == 0)
                return json_string_value(json_object_get(p, "name"));
        }
    }
    return NULL;
}

static const char *s_cpv(const json_t *rel)
{
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(json_object_get(rel, "tender"), "items"), i, item) {
        const json_t *cl = json_object_get(item, "classification");
        const char *scheme = json_string_value(json_object_get(cl, "scheme"));
        const char *id = json_string_value(json_object_get(cl, "id"));
        if (scheme && id && cal_str_ieq(scheme, "CPV"))
            return id;
    }
    return NULL;
}

/* Later releases overwrite fields they carry; absent fields keep the earlier value. */
static void s_merge(s_fields_t *f, const json_t *rel)
{
    const char *v;
#define S_TAKE(dst, expr) \
    if ((v = (expr)))     \
    f->dst = v
    S_TAKE(title, s_str(rel, "tender.title"));
    S_TAKE(description, s_str(rel, "tender.description"));
    S_TAKE(buyer, s_buyer(rel));
    S_TAKE(kind, s_str(rel, "tender.mainProcurementCategory"));
    S_TAKE(pub, s_str(rel, "tender.tenderPeriod.startDate"));
    S_TAKE(cpv, s_cpv(rel));
    S_TAKE(method, s_str(rel, "tender.procurementMethod"));
    S_TAKE(method_details, s_str(rel, "tender.procurementMethodDetails"));
    S_TAKE(award_date, s_str(s_pick(rel, "awards", "active", NULL), "date"));
    S_TAKE(signed_date, s_str(s_pick(rel, "contracts", "active", "terminated"), "dateSigned"));
    /* periods: the first contract or award, as published */
    const json_t *c0 = json_array_get(json_object_get(rel, "contracts"), 0);
    const json_t *a0 = json_array_get(json_object_get(rel, "awards"), 0);
    const char *start = s_str(rel, "tender.contractPeriod.startDate");
    const char *end = s_str(rel, "tender.contractPeriod.endDate");
    if (!start && !end) {
        start = s_str(c0, "period.startDate") ? s_str(c0, "period.startDate") : s_str(a0, "contractPeriod.startDate");
        end = s_str(c0, "period.endDate") ? s_str(c0, "period.endDate") : s_str(a0, "contractPeriod.endDate");
    }
    if (start)
        f->start = start;
    if (end)
        f->end = end;
    const json_t *value = json_object_get(json_object_get(rel, "tender"), "value");
    const json_t *val = json_object_get(value, "amount");
    if (val && !json_is_null(val)) {
        f->amount = val;
        f->currency = s_str(rel, "tender.value.currency");
    }
#undef S_TAKE
    Mvoi__TenderStatus st = s_status(rel);
    if (st != MVOI__TENDER_STATUS__STATUS_UNSPECIFIED) {
        f->status = st;
        f->status_text = s_str(rel, "tender.statusDetails");
        f->status_release = s_str(rel, "id");
        f->status_date = s_str(rel, "date");
    }
}

/* "2026-03-28T23:00:00Z" -> "2026-03-29", the day in Amsterdam (cal_date_ams_day); 0,
 * -ENODATA (absent) or -EINVAL. The first ten characters were taken: the UTC day of an
 * instant late in the evening, and anything after a date ("2026-03-01junk") was dropped. */
static int s_date(const char *dt, char out[11])
{
    if (!dt)
        return -ENODATA;
    return cal_date_ams_day(dt, out);
}

/* 8 digits, optionally "-d"; other suffixes (".0" from some publishers) are dropped. */
static int s_norm_cpv(const char *id, char out[11])
{
    size_t n = strspn(id, "0123456789");
    if (n != 8)
        return -EINVAL;
    memcpy(out, id, 8);
    out[8] = '\0';
    if (id[8] == '-' && id[9] >= '0' && id[9] <= '9' && id[10] == '\0') {
        out[8] = '-', out[9] = id[9], out[10] = '\0';
    }
    return 0;
}

static int s_cmp_rel(const void *a, const void *b)
{
    const s_rel_t *x = *(const s_rel_t *const *)a, *y = *(const s_rel_t *const *)b;
    /* by the instant, not the text: offsets and fractions do not sort as text (cal_date.h).
     * A release without a readable date is older than every dated one (it cannot claim to
     * be the latest); among themselves, as text as before. */
    if (x->has_at != y->has_at)
        return x->has_at ? 1 : -1;
    int c = x->has_at ? (x->at > y->at) - (x->at < y->at) : strcmp(x->date, y->date);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A process that cannot be stored exactly: refused with the OCDS path and why. */
static int s_refuse(ocds_result_t *out, const char *ocid, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int s_refuse(ocds_result_t *out, const char *ocid, const char *field, const char *fmt, ...)
{
    ocds_warning_t *ne = realloc(out->errors, (out->n_errors + 1) * sizeof *ne);
    if (!ne)
        return -ENOMEM;
    out->errors = ne;
    ocds_warning_t *e = &ne[out->n_errors++];
    cal_str_copy(e->ocid, sizeof e->ocid, ocid);
    cal_str_copy(e->field, sizeof e->field, field);
    va_list ap;
    va_start(ap, fmt);   /* fmt: the English of a catalogue "tender.ocds." entry */
    textfmt_vtr(e->message, sizeof e->message, out->lang, "tender.ocds.", fmt, ap);
    va_end(ap);
    return 1;
}

/* Kind, value (EUR only) and CPV. Returns 0, 1 (refused) or -ENOMEM. */
static int s_build_money(Mvoi__Tender *t, const char *ocid, const s_fields_t *f, ocds_result_t *out)
{
    if (f->kind) {
        if (strcmp(f->kind, "goods") == 0)
            t->kind = MVOI__TENDER_KIND__KIND_LEVERINGEN;
        else if (strcmp(f->kind, "services") == 0)
            t->kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
        else if (strcmp(f->kind, "works") == 0)
            t->kind = MVOI__TENDER_KIND__KIND_WERKEN;
        else
            return s_refuse(out, ocid, "tender.mainProcurementCategory",
                            "'%.40s' is not goods, services or works", f->kind);
        t->has_kind = 1;
    }
    if (f->amount) {
        /* the calendar's amounts are euros: another currency is not converted but refused
         * (a rate would be a guess, and the thresholds are in euros) */
        if (!f->currency)
            return s_refuse(out, ocid, "tender.value.currency",
                            "no currency: only amounts in EUR are taken (nothing converted)");
        if (strcmp(f->currency, "EUR") != 0)
            return s_refuse(out, ocid, "tender.value.currency",
                            "currency '%.8s': only amounts in EUR are taken (nothing converted)",
                            f->currency);
        if (ocds_amount_cents(f->amount, &t->value_cents) < 0)
            return s_refuse(out, ocid, "tender.value.amount",
                            "not an amount in euros (0 .. 10^11, at most cents)");
        t->has_value_cents = 1;
    }
    if (f->cpv) {
        char cpv[11];
        if (s_norm_cpv(f->cpv, cpv) < 0)
            return s_refuse(out, ocid, "tender.items.classification.id",
                            "'%.20s' is not a CPV code", f->cpv);
        if (cal_str_set(&t->cpv, cpv) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* The cancellation's facts, each whole: the publisher's statusDetails as given (the reason;
 * unset when there is none) and the id and date of the release that cancelled
 * (Tender.cancel_ocds), said at output in the reader's language (tender_cancel_ocds.h). An
 * English sentence was stored before ("cancelled in OCDS release <id> (<date>)",
 * "<statusDetails> (OCDS <date>)"): English in every Dutch report and mail. Nothing is cut:
 * a fact longer than the calendar keeps refuses the process, by its OCDS path (a cut lost
 * the end of statusDetails, or left invalid UTF-8 inside an "é"). 0, 1 or -ENOMEM. */
static int s_cancel_reason(Mvoi__Tender *t, const char *ocid, const s_fields_t *f,
                           ocds_result_t *out)
{
    size_t nd = f->status_text ? strlen(f->status_text) : 0;
    size_t nr = f->status_release ? strlen(f->status_release) : 0;
    size_t nt = f->status_date ? strlen(f->status_date) : 0;
    if (nd > TENDER_CANCEL_REASON_MAX)
        return s_refuse(out, ocid, "tender.statusDetails", "the cancellation's reason is %zu "
                        "bytes, more than the %d the calendar keeps", nd, TENDER_CANCEL_REASON_MAX);
    if (nr > TENDER_OCDS_RELEASE_ID_MAX)
        return s_refuse(out, ocid, "id", "the id of the cancelling release is %zu bytes, more "
                        "than the %d the calendar keeps", nr, TENDER_OCDS_RELEASE_ID_MAX);
    if (nt > TENDER_OCDS_RELEASE_DATE_MAX)
        return s_refuse(out, ocid, "date", "the date of the cancelling release is %zu bytes, "
                        "more than the %d the calendar keeps", nt, TENDER_OCDS_RELEASE_DATE_MAX);
    if (cal_str_set(&t->cancel_reason, f->status_text) < 0 ||
        tender_cancel_ocds_set(t, false, f->status_release, f->status_date) < 0)
        return -ENOMEM;
    return 0;
}

/* Dates, status (with its cancel reason) and the stated procedure. 0, 1 or -ENOMEM. */
static int s_build_life(Mvoi__Tender *t, const char *ocid, const s_fields_t *f, ocds_result_t *out)
{
    char d[11];
    struct {
        const char *text, *path;
        char **slot;
    } dates[] = {
        {f->pub, "tender.tenderPeriod.startDate", &t->planned_publication},
        {f->start, "tender.contractPeriod.startDate", &t->contract_start},
        {f->end, "tender.contractPeriod.endDate", &t->contract_end},
        {f->award_date, "awards.date", &t->award_date},
        {f->signed_date, "contracts.dateSigned", &t->contract_signed},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        int dr = s_date(dates[i].text, d);
        if (dr == -EINVAL)
            return s_refuse(out, ocid, dates[i].path, "'%.40s' is not a date", dates[i].text);
        if (dr == 0 && cal_str_set(dates[i].slot, d) < 0)
            return -ENOMEM;
    }
    if (f->status) {
        t->has_status = 1;
        t->status = f->status;
    }
    if (f->status == MVOI__TENDER_STATUS__STATUS_CANCELLED) {
        int rc = s_cancel_reason(t, ocid, f, out);
        if (rc != 0)
            return rc;
    }
    if (f->method) {
        if (tender_method_procedure(f->method, f->method_details,
                                    MVOI__PROCEDURE__PROC_UNSPECIFIED, NULL, NULL, 0) < 0)
            return s_refuse(out, ocid, "tender.procurementMethod",
                            "'%.32s' is not open, selective, limited or direct", f->method);
        if (cal_str_set(&t->procurement_method, f->method) < 0 ||
            cal_str_set(&t->procurement_method_details, f->method_details) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Build one tender from the merged fields: only the fields the releases carry are set (an
 * incremental release gives a partial tender; the service merges it with the stored one
 * and checks the whole). A field that cannot be taken exactly refuses the process.
 * Returns 0 (tender or refusal), or -ENOMEM. */
static int s_build(const char *ocid, const s_fields_t *f, const ocds_import_opts_t *opts, ocds_result_t *out)
{
    Mvoi__Tender *t = tender_new();
    /* "ocds:" and the ocid, which is the tender id: room for the longest id (an ocid of
     * 123-128 bytes was stored cut in the tender's source); a longer one is refused as
     * the id (tender_rules.c) */
    char src[sizeof "ocds:" + MVOI_ID_MAX];
    char why[MVOI_ID_WHY_MAX];
    int rc;
    if (!t)
        return -ENOMEM;
    /* the ocid is the tender id: one the calendar cannot take would make it refuse the
     * whole command (every process sent with it), so it refuses this process alone, here */
    if (mvoi_id_check_in(opts->lang, MVOI_ID_TENDER, ocid, why, sizeof why) != 0) {
        rc = s_refuse(out, ocid, "ocid", "'%.60s' cannot be a tender id: %s", ocid, why);
        goto fail;
    }
    snprintf(src, sizeof src, "ocds:%s", ocid);
    if ((rc = cal_str_set(&t->id, ocid)) < 0 || (rc = cal_str_set(&t->title, f->title)) < 0 ||
        (rc = cal_str_set(&t->description, f->description)) < 0 ||
        (rc = cal_str_set(&t->buyer, f->buyer ? f->buyer : opts->default_buyer)) < 0 ||
        (rc = cal_str_set(&t->source, src)) < 0 ||
        (rc = cal_str_set(&t->source_release_date, f->release_date)) < 0)
        goto fail;
    if ((rc = s_build_money(t, ocid, f, out)) != 0 || (rc = s_build_life(t, ocid, f, out)) != 0)
        goto fail;
    if (opts->thresholds) {
        /* only a whole process can be checked here; partial ones are checked after merging */
        tender_error_t te;
        rc = tender_validate(t, &te);
        if (rc == 0)
            rc = tender_derive(t, opts->thresholds, opts->isv, opts->today, &te);
        if (rc == -ENOMEM)
            goto fail;
        if (rc < 0) {
            rc = s_refuse(out, ocid, te.field, "%s", tender_error_text(&te, out->lang));
            goto fail;
        }
    }
    Mvoi__Tender **nt = realloc(out->tenders, (out->n_tenders + 1) * sizeof *nt);
    if (!nt) {
        rc = -ENOMEM;
        goto fail;
    }
    out->tenders = nt;
    nt[out->n_tenders++] = t;
    return 0;
fail:
    tender_free(t);
    return rc < 0 ? rc : 0;
}

int ocds_import_compile(const ocds_import_t *self, const ocds_import_opts_t *opts, ocds_result_t *out)
{
    static const ocds_import_opts_t no_opts = {0};
    memset(out, 0, sizeof *out);
    out->lang = opts ? opts->lang : TEXT_NL;
    if (!opts)
        opts = &no_opts;
    if (!self || self->n == 0)
        return 0;
    const s_rel_t **order = malloc(self->n * sizeof *order);
    bool *done = calloc(self->n, sizeof *done);
    if (!order || !done) {
        free(order);
        free(done);
        return -ENOMEM;
    }
    int rc = 0;
    out->releases = self->n;
    for (size_t i = 0; i < self->n && rc == 0; i++) {
        if (done[i])
            continue;
        /* all releases of this ocid, in arrival order, then by date */
        size_t k = 0;
        for (size_t j = i; j < self->n; j++) {
            if (!done[j] && strcmp(self->rels[j].ocid, self->rels[i].ocid) == 0) {
                order[k++] = &self->rels[j];
                done[j] = true;
            }
        }
        qsort(order, k, sizeof *order, s_cmp_rel);
        s_fields_t f = {0};
        for (size_t j = 0; j < k; j++)
            s_merge(&f, order[j]->rel);
        /* sorted by instant, undated first: the last one, when dated, is the newest */
        f.release_date = order[k - 1]->has_at ? order[k - 1]->date : NULL;
        rc = s_build(self->rels[i].ocid, &f, opts, out);
    }
    free(order);
    free(done);
    if (rc < 0)
        ocds_result_clear(out);
    return rc;
}

void ocds_result_clear(ocds_result_t *out)
{
    if (!out)
        return;
    for (size_t i = 0; i < out->n_tenders; i++)
        tender_free(out->tenders[i]);
    free(out->tenders);
    free(out->errors);
    memset(out, 0, sizeof *out);
}
