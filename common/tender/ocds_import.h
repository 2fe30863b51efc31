/* ocds_import: tenders from Open Contracting Data Standard 1.1 data (TenderNed publishes its
 * tenders this way, docs/domain.md#open-data): release packages, record packages and bare
 * releases, from one or more files, merged per ocid.
 *
 * Mapping: ocid -> id; buyer.name (else the party with role "buyer") -> buyer;
 * tender.title, tender.description; tender.mainProcurementCategory goods/services/works ->
 * leveringen/diensten/werken; tender.value.amount (EUR) -> value_cents;
 * tender.tenderPeriod.startDate -> planned_publication; tender.contractPeriod (else the
 * active contract's period, else the active award's contractPeriod) -> contract_start/end;
 * the active award's date -> award_date, the active contract's dateSigned -> contract_signed;
 * first tender.items[].classification with scheme CPV -> cpv (8 digits, a "-d" check digit
 * kept, "45233130.0" -> "45233130"); tender.procurementMethod / procurementMethodDetails ->
 * procurement_method(_details) (the procedure they state: tender_method.h); source
 * "ocds:<ocid>"; the date of the newest release with a readable date, as written ->
 * source_release_date (the calendar refuses a later import of an older release that would
 * change the tender: it would undo the newer one).
 * Status (the lifecycle, per release, most advanced evidence first): a terminated contract
 * (and none active) -> completed, an active contract -> in_execution, an active award ->
 * awarded, tag "tenderCancellation" or tender.status cancelled/unsuccessful/withdrawn ->
 * cancelled (the facts, each whole, not a sentence: cancel_reason = tender.statusDetails as
 * given, cancel_ocds = the release's id and date as written, said at output in the reader's
 * language, tender_cancel_ocds.h; one longer than the calendar keeps refuses the process),
 * tender.status planning/planned -> planned, active -> published, complete -> awarded. The
 * import sends it with UpsertTenders.apply_status: the service moves the stored tender when
 * the lifecycle allows it and refuses the process with a named error when not.
 *
 * Decisions: releases of one ocid are compiled like OCDS compiling does for simple fields:
 * ordered by release date as a point in time (cal_date_instant_us: offsets and fractions
 * count, "02:10+01:00" is after "02:30+02:00"; a release without a readable date is the
 * oldest; stable for equal dates) and, per field, the
 * latest release that has the field wins; a field no release carries stays unset, so an
 * incremental release (only what changed, e.g. a cancellation alone) gives a partial tender
 * that the service merges with the stored one (UpsertTenders.merge) and checks whole there.
 * A record package contributes its compiledRelease (or its embedded releases when there is
 * none; linked releases carry no data). Dates are days in Amsterdam, the calendar's zone
 * (cal_date_ams_day): a date alone, or a time without an offset, is the day as written; an
 * instant with "Z" or an offset is the day it falls on in Amsterdam (CET/CEST), so
 * "2026-12-31T23:00:00Z" is 2027-01-01 (the first ten characters were taken: the day in
 * the publisher's offset, another year or quarter for an instant late in the evening UTC);
 * text after a date is refused. Amounts: JSON integers are exact; a JSON real is
 * turned back into its shortest decimal text that reads back to the same double (jansson
 * keeps no number text), then rounded half up to cents; strings holding a decimal number
 * are accepted too. Never a silent wrong value: a currency other than EUR (or none), an
 * amount, date or CPV code that cannot be read, an unknown category or procurement method
 * refuses that process (ocds_result_t.errors, with the OCDS path); the other processes of
 * the file still import. */
#ifndef OCDS_IMPORT_H
#define OCDS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "calendar.pb-c.h"
#include "isv_map.h"
#include "text.h"
#include "thresholds.h"

typedef struct ocds_import ocds_import_t;

typedef struct {
    char ocid[96];
    char field[64];    /* OCDS path, e.g. "tender.value.currency" */
    char message[192];
} ocds_warning_t;

typedef struct {
    const char *default_buyer;      /* when neither buyer nor a buyer party is given */
    const thresholds_t *thresholds; /* optional: also derive procedure etc. */
    const isv_map_t *isv;
    const char *today;
    text_lang_t lang;               /* of the refusals' messages (default nl) */
} ocds_import_opts_t;

typedef struct {
    Mvoi__Tender **tenders; /* heap, in order of first appearance of each ocid */
    size_t n_tenders;
    ocds_warning_t *errors; /* refused processes (no tender for them): OCDS path and why */
    size_t n_errors;
    size_t releases;        /* releases taken into account */
    text_lang_t lang;       /* of errors[].message: ocds_import_opts_t.lang */
} ocds_result_t;

int ocds_import_new(ocds_import_t **out);
void ocds_import_destroy(ocds_import_t **self_p);

/* Add the releases of one JSON document (package or single release). Returns 0, -EINVAL
 * (not JSON or not OCDS; err says why, with line/column for syntax errors) or -ENOMEM.
 * A leading UTF-8 byte order mark is skipped (RFC 8259 8.1). */
int ocds_import_add_json(ocds_import_t *self, const char *text, size_t len, char *err, size_t errlen);
/* The same with the refusal of a file that is not UTF-8 in lang, from the catalogue
 * ("tender.ocds.not_utf8": the byte, its offset in the file counted from 0, its line and
 * character), not jansson's English "unable to decode byte 0xe9"; ocds_import_add_json
 * says it in English. Other syntax errors stay jansson's text with line and column. */
int ocds_import_add_json_in(ocds_import_t *self, const char *text, size_t len, text_lang_t lang,
                            char *err, size_t errlen);
int ocds_import_add_file(ocds_import_t *self, const char *path, char *err, size_t errlen);

/* Compile every ocid seen so far into tenders. out is initialised here; release with
 * ocds_result_clear. Returns 0 or -ENOMEM. */
int ocds_import_compile(const ocds_import_t *self, const ocds_import_opts_t *opts, ocds_result_t *out);

void ocds_result_clear(ocds_result_t *out);

/* An OCDS amount (integer, real or decimal string, euros) to cents, half up.
 * Returns 0 or -EINVAL (negative, not a number, >= 10^11 euros). */
int ocds_amount_cents(const json_t *amount, int64_t *cents);

#endif
