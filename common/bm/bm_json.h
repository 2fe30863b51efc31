/*  bm_json: the benchmark as JSON and CSV, the one rendering behind the gateway's API and
 *  open data, mvoictl benchmark --json and the report's section. Only what bm.h hands out
 *  is rendered: a buyer's own figures and anonymous distributions of at least k buyers. */
#ifndef MVOI_BM_JSON_H
#define MVOI_BM_JSON_H

#include <jansson.h>
#include "bm.h"

/* One buyer's position for every KPI and normalisation in year:
 * {buyer, name, year, k, class:{id,label}|null, profile:{...}, kpis:[{kpi, label, norms:[
 *  {norm, unit, status, value?, count?, q1?, median?, q3?, percentile?, quartile?,
 *   sentence}]}]}. NULL for an unknown buyer or out of memory. */
json_t *bm_json_buyer(const bm_t *self, const char *buyer, unsigned year, text_lang_t lang);

/* The open data: {k, quantile_definition, ..., definitions:{column: text}, distributions:
 * [{year, class, class_label, kpi, normalisation, unit, count, q1, median, q3}]}: every
 * (year, class, KPI, normalisation) with at least k contributing buyers. */
json_t *bm_json_open_data(const bm_t *self, text_lang_t lang);
/* The same rows as CSV (RFC 4180, header first). malloc'ed, NULL out of memory. */
char *bm_csv_open_data(const bm_t *self, text_lang_t lang, size_t *len);

#endif
