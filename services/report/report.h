/*  report: the monitoring report model and its renderers (report_core).
 *
 *  Data flows one way: gather.c fetches what the upstream services know into an rp_input_t
 *  (plain structs, no protobuf), model.c turns that into an rp_report_t (every figure the
 *  report shows, computed once), and one renderer per format writes a file from the model.
 *  Renderers never compute figures; they only format them through rp_num() (fmt.c), the one
 *  place where integers become text.
 *
 *  Units on the wire (KpiTotal.unit): fairtrade "products", sroi "cent", nox "mg",
 *  material "g", co2 "g", pilots "pilots". Shown as: products, euros (2 decimals), kg NOx
 *  (3 decimals, rounded half away from zero), kg (3 decimals, exact), kg (3 decimals, exact),
 *  pilots.
 */
#ifndef MVOI_REPORT_H
#define MVOI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "buyers.h"
#include "bm.h"
#include "mvoi_id.h"
#include "text.h"

#define RP_NKPI 7      /* index 1..6 = Kpi enum; 0 unused */
#define RP_NTHEME 7    /* index 1..6 = Theme enum; 0 unused */
/* Room for the longest value the upstream services accept, so that nothing is cut: an id
 * (mvoi_id.h; purchasing groups are at most 100 bytes), a tender title (300 characters of
 * up to 4 bytes: common/tender/tender_rules.h), a cancel reason (500 bytes). A longer value
 * fails the report (gather.c) instead of being cut. */
#define RP_ID (MVOI_ID_MAX + 1)
#define RP_TITLE (4 * 300 + 1)
#define RP_PILOT_TARGET 3   /* plan §8 KPI 6: at least 3 pilots a year */

/* ------------------------------------------------------------------ numbers (fmt.c) */

typedef enum {
    RP_STYLE_NL = 0,      /* 1.234,567  (Dutch text) */
    RP_STYLE_EN = 1,      /* 1,234.567  (English text) */
    RP_STYLE_DOT = 2,     /* 1234.567   (machine: RFC 4180 CSV, JSON strings) */
    RP_STYLE_COMMA = 3,   /* 1234,567   (Dutch Excel CSV) */
} rp_style_t;

/* THE formatting function: v / 10^scale shown with `decimals` decimals (decimals <= scale:
 * rounded half away from zero; decimals > scale: zero-padded), grouped per style.
 * Returns the length written (buf is always terminated; cap >= 32 is always enough). */
int rp_num(char *buf, size_t cap, int64_t v, int scale, int decimals, rp_style_t style);
rp_style_t rp_style_text(text_lang_t lang);

/* Per KPI: the unit of the raw integers, and how they are shown. */
typedef struct {
    const char *name;       /* "co2" */
    const char *unit_raw;   /* "g" */
    const char *unit_shown; /* "kg" */
    int scale;              /* raw -> shown: divide by 10^scale */
    int decimals;           /* shown decimals */
} rp_kpi_info_t;
const rp_kpi_info_t *rp_kpi_info(int kpi);       /* kpi 1..6; NULL otherwise */
const char *rp_theme_name(int theme);             /* "klimaat"...; NULL for 0/unknown */
int rp_theme_kpi(int theme);                      /* the KPI that monitors a theme */
/* Format a raw KPI quantity the way it is shown. */
int rp_kpi_num(char *buf, size_t cap, int kpi, int64_t raw, rp_style_t style);

/* ------------------------------------------------------------------ time (qtime.c) */

/* Europe/Amsterdam local time by the EU rule (CET/CEST), without tzdata. */
int rp_ams_offset_min(int64_t utc_ms);
/* The Amsterdam quarter an instant falls in. */
void rp_ams_quarter(int64_t utc_ms, uint32_t *year, uint32_t *quarter);
/* First instant (UTC ms) of a quarter in Amsterdam: 2026 Q2 -> 2026-03-31T22:00:00Z. */
int64_t rp_quarter_start_utc(uint32_t year, uint32_t quarter);
/* Amsterdam local calendar date and time of an instant. */
void rp_ams_local(int64_t utc_ms, int *year, unsigned *month, unsigned *day, unsigned *hour,
                  unsigned *minute);
/* "4 december 2026" / "4 December 2026"; with time "4 december 2026, 15:39" (Amsterdam),
 * by common/datewords: the length, or DATEWORDS_E_NOSPACE and "" when cap is too small. */
int rp_date_text(char *buf, size_t cap, int64_t utc_ms, bool with_time, text_lang_t lang);
/* 12:00 UTC of a calendar day, in ms (the same day in Amsterdam) */
int64_t rp_civil_noon_utc(int year, unsigned month, unsigned day);
/* "YYYY-MM-DD" -> year and quarter; -EINVAL if malformed. */
int rp_date_quarter(const char *date, uint32_t *year, uint32_t *quarter);

/* ------------------------------------------------------------------ input (from gather) */

typedef struct {
    int64_t ambition, realisation, projects, target, denominator, count;
} rp_val_t;

typedef struct {
    int kpi;
    uint32_t year, quarter;   /* quarter 0 = year window */
    int theme;                /* 0 unless a theme total */
    char group[RP_ID];        /* "" unless a group total */
    char tender[RP_ID];       /* "" unless a tender total */
    rp_val_t v;
} rp_total_t;

typedef struct {
    int theme;
    int commitment;           /* Commitment enum: 0 none yet, 1 eis, 2 gunning, 3 innovatie */
} rp_ttheme_t;

typedef struct {
    char id[RP_ID], title[RP_TITLE], group[RP_ID], planned[16], cpv[24];
    char cancel_reason[RP_TITLE];
    int kind, procedure, status;            /* enums of calendar.proto */
    int64_t value_cents, sroi_obligation_cents;
    bool value_unknown;                     /* the calendar has no estimated value
                                             * (has_value_cents false): "–", not € 0 */
    uint32_t sroi_bp;
    bool pilot;
    int nthemes;
    rp_ttheme_t themes[8];
} rp_tender_t;

typedef struct {
    int kpi;
    char measurement[RP_ID], tender[RP_ID];
    uint32_t revision;
    int64_t ambition, realisation;
} rp_contrib_t;

typedef struct {
    char table[RP_ID], edition[48], source[RP_TITLE];
    uint32_t rows, unverified_rows;
} rp_factor_t;

typedef struct {
    char buyer[128];
    char buyer_name[MVOI_BUYER_TEXT_MAX];   /* display name from the registry ("Gemeente
                                             * Heerlen"); the id when unregistered */
    uint32_t year, quarter;       /* quarter 0 = annual report */
    text_lang_t lang;
    int64_t generated_ms;
    uint64_t kpi_seq;             /* aggregator seq of the snapshot */
    /* the year's totals: every window of `year` (year and quarters), every dimension */
    rp_total_t *totals;
    size_t ntotals, captotals;
    rp_val_t prev[RP_NKPI];       /* year-1 window, all dimensions */
    rp_val_t series[RP_NKPI][8];  /* quarters of year-1 (0..3) and year (4..7) */
    rp_tender_t *tenders;         /* the calendar's tenders of `year` (planned publication) */
    size_t ntenders, captenders;
    rp_contrib_t *contribs;       /* breakdown of the period's totals (capped) */
    size_t ncontribs, capcontribs;
    uint32_t contrib_total[RP_NKPI]; /* how many contributions each total has in all */
    rp_factor_t *factors;
    size_t nfactors, capfactors;
    bool factors_ok;              /* the impact-calculator answered */
    char cut[64];                 /* a field that did not fit (gather.c): the report fails */
    char *narrative[RP_NTHEME];   /* the adviser's text per theme (malloc'ed) or NULL */
    bm_t *bench;                  /* the national benchmark of `year` (common/bm), fed with
                                   * every buyer's year totals of the snapshot; owned; NULL:
                                   * no benchmark section */
} rp_input_t;

void rp_input_init(rp_input_t *in);
void rp_input_free(rp_input_t *in);
rp_total_t *rp_input_add_total(rp_input_t *in);
rp_tender_t *rp_input_add_tender(rp_input_t *in);
rp_contrib_t *rp_input_add_contrib(rp_input_t *in);
rp_factor_t *rp_input_add_factor(rp_input_t *in);
/* The rp_input_add_* above return NULL when out of memory: the gathering then fails the
 * report (-ENOMEM), it never goes on without the item. For tests only: the next n growths
 * of the input's arrays and allocations of the model's tables (rp__calloc) succeed and
 * every later one fails as if out of memory, until called again with n < 0 (never fail,
 * the default). Not thread-safe: the loop's thread. */
void rp_input_fail_growth_after(long n);
/* calloc of the report's own tables (model_build.c), under that hook. */
void *rp__calloc(size_t n, size_t size);

/* ------------------------------------------------------------------ model (model.c) */

enum { RP_COL_PERIOD = 0, RP_COL_YTD = 1, RP_COL_PREV = 2, RP_NCOL = 3 };

/* The status word of a theme, by one rule applied in this order (docs: README "Status"):
 *   pilots (diversiteit_inclusie, KPI 6): realised pilots >= the year's target -> TARGET_MET,
 *           else TARGET_OPEN (the number of pilot tenders is the ambition, not the result)
 *   no commitment and no quantified ambition, nothing measured   -> NO_AMBITION
 *   commitments or an ambition, but no measurement yet           -> NOT_MEASURED
 *   measured, but no quantified ambition (ambition 0)            -> UNCOMMITTED
 *   realisation >= ambition > 0                                  -> ON_TRACK
 *   realisation <  ambition                                      -> BEHIND */
typedef enum {
    RP_STATUS_NO_AMBITION = 0, /* "geen ambitie vastgelegd" */
    RP_STATUS_ON_TRACK = 1,
    RP_STATUS_BEHIND = 2,
    RP_STATUS_UNCOMMITTED = 3,
    RP_STATUS_NOT_MEASURED = 4, /* "nog geen metingen" */
    RP_STATUS_TARGET_MET = 5,
    RP_STATUS_TARGET_OPEN = 6,
} rp_status_t;
rp_status_t rp_status_rule(int kpi, const rp_val_t *ytd, uint32_t committed, int64_t target);

typedef struct {
    int theme, kpi;
    rp_val_t ytd;                  /* the theme's KPI, year to date */
    int level_baseline, level_year, level_goal;   /* 0 = not set */
    uint32_t in_scope, committed, innovation;     /* tenders of the year (not cancelled) */
    rp_status_t status;
} rp_theme_row_t;

typedef struct {
    const rp_tender_t *t;          /* NULL when the calendar does not know the tender */
    char tender[RP_ID];
    int64_t obligation;            /* cents: the contract's (calendar: pct x value), 0 when
                                      cancelled or unknown */
    int64_t realised;              /* cents, year to date */
    int64_t realised_count;        /* measurements behind a realisation other than 0:
                                      0 (realised 0) is none reported, "–", not € 0,00 */
    bool in_period;                /* published in the report's period (not cancelled) or
                                      realised there: part of the period column's target */
} rp_contract_t;

/* A realisation counted in a quarter that ended before the tender's planned publication
 * (rule: the measurement period's end, which decides the quarter, lies before the planned
 * publication date). Kept in the totals, flagged in the report. */
typedef struct {
    const rp_tender_t *t;
    int kpi;
    uint32_t quarter;
    int64_t realisation;
} rp_early_t;

typedef struct {
    const rp_tender_t *t;
    int64_t realisation[RP_NKPI];  /* measured in the period */
    int64_t count[RP_NKPI];        /* measurements behind it */
} rp_annex_row_t;

typedef struct {
    const rp_input_t *in;
    char period[16];               /* "2026-q1" or "2026" */
    char period_prev[16];          /* "2025" */
    uint32_t ytd_quarters;         /* Q for a quarterly report, 4 for annual */
    rp_val_t kpi[RP_NKPI][RP_NCOL];
    rp_theme_row_t themes[RP_NTHEME];
    rp_val_t pilots;               /* year window: ambition = pilot tenders, target 3 */
    rp_contract_t *contracts;
    size_t ncontracts;
    rp_annex_row_t *annex;
    size_t nannex;
    uint32_t cancelled;            /* cancelled tenders in the annex */
    bool empty;                    /* no tender and no measurement in the period */
    uint32_t unverified_tables;    /* factor tables with unverified rows */
    /* SROI total line, like with like: contracts with a known obligation only */
    int64_t sroi_obligation, sroi_realised;
    int64_t sroi_realised_other;   /* realised on contracts without a known obligation */
    uint32_t sroi_other;           /* how many such contracts */
    /* kpi[2][col].target stands on that same basis: the obligations of the contracts
     * (known obligation) published or realised in the column's window. A target without
     * a figure is target_na ("–", no CSV row, JSON null): a KPI the plan sets none for,
     * a quarter of the pilots' yearly target, and the previous year's SROI obligation
     * (that year's contracts are not fetched, so it has no figure on this basis). */
    bool target_na[RP_NKPI][RP_NCOL];
    /* the period in Amsterdam local dates; provisional while it has not ended */
    int64_t period_from_ms, period_to_ms;   /* [from, to) UTC */
    bool provisional;
    rp_early_t *early;             /* realisation before publication, year to date */
    size_t nearly;
} rp_report_t;

/* Ambition levels: baseline 2023 and goal 2027 from the plan (§4), and per-year levels from
 * an optional file ("theme;year;level" lines, # comments, blank lines). 0 = not set.
 * Returns the number of levels read, or a negative errno with *bad_line (may be NULL) the
 * line at fault: -EINVAL for a line that is not a theme of the plan, a year and a level
 * 1..5, or a theme and year given twice; -EFBIG past 256 levels; -errno if unreadable.
 * Nothing is loaded then: a level a typo left out would be reported as "not set". */
int rp_levels_load(const char *path, int *bad_line);
int rp_level(int theme, uint32_t year);

int rp_model_build(rp_report_t *r, const rp_input_t *in);
/* "Not known" is no 0 (docs/domain.md, "absent, not zero"): a quantity x of a KPI total with
 * no measurement behind it (count 0 and x 0: nothing reported, withheld, not yet measured)
 * has no figure. Every renderer says it the same way: "–" with the legend (HTML/PDF), "–"
 * in the figure's cell and its raw cell blank (XLSX), no row (CSV, as a target without a
 * figure), null (JSON), an empty waarde (MVI export). A measured 0 (count > 0) is a 0.
 * KPI 6's ambition (pilot tenders, from the calendar) and realisation (pilots that
 * reported) are counts, always a figure. */
bool rp_unmeasured(int kpi, const rp_val_t *v, int64_t x);
/* The fair-trade denominator is fair trade's alone: for another KPI it has no figure. */
bool rp_denominator_na(int kpi);
/* A quarter of the trend series has no target where the plan sets none
 * (mvoi_kpi_has_target: SROI and the pilots only) nor for the pilots, whose target is a
 * year's: "–", no row, null, as the KPI table's target_na says it. */
bool rp_series_target_na(int kpi);
void rp_model_free(rp_report_t *r);
const char *rp_status_key(rp_status_t s);   /* message key "report.status.on_track"... */

/* ------------------------------------------------------------------ renderers */

/* Each writes one file; 0 or a negative errno. */
int rp_render_html(const rp_report_t *r, FILE *out);
int rp_render_csv(const rp_report_t *r, FILE *out, bool dutch);
int rp_render_json(const rp_report_t *r, FILE *out);
int rp_render_mvi(const rp_report_t *r, FILE *out);
int rp_render_xlsx(const rp_report_t *r, const char *path);
/* The same, with the reason of a refusal in the report's language in why (cap bytes; may
 * be NULL): -EFBIG when a sheet would pass Excel's limits (1,048,576 rows with the header,
 * 16,384 columns, 32,767 characters a cell; xlsx_check.c), -EILSEQ for a text that is not
 * UTF-8. No file is left behind. */
int rp_render_xlsx_why(const rp_report_t *r, const char *path, char *why, size_t cap);
/* A renderer by ReportFormat into path (written to path.tmp, then renamed). PDF is not here:
 * it is printed from the HTML by pdf.c. A refusal of the data (not of the disk) leaves its
 * reason in why ("" otherwise; why may be NULL). */
int rp_render_file(const rp_report_t *r, int format, const char *path, char *why,
                   size_t whycap);

/* pdf.c: the argv for printing html_path to pdf_path with headless Chromium. The file URL
 * is percent-encoded (a reports directory with '#', '%', '?' or a space named another
 * file: no PDF). 0, or -ENAMETOOLONG when urlbuf (3 x the path + 8 is always enough) or
 * outbuf cannot hold it whole: a cut path would print another file. */
#define RP_PDF_ARGC 12
int rp_pdf_argv(const char *chromium, const char *html_path, const char *pdf_path,
                char *urlbuf, size_t urlcap, char *outbuf, size_t outcap,
                char **argv /* RP_PDF_ARGC + 1 */);
/* Blocking variant for tools and tests (fork/exec + wait with a timeout). */
int rp_pdf_print(const char *chromium, const char *html_path, const char *pdf_path,
                 int timeout_ms);

/* Small helpers shared by the renderers (fmt.c). */
void rp_html_esc(FILE *out, const char *s);
const char *rp_t(const rp_report_t *r, const char *key);
const char *rp_enum_name(int which, int value);   /* which: 'k' kind, 'p' procedure,
                                                      's' status, 'c' commitment */

#endif
