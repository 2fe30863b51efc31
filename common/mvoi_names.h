/*  mvoi_names: the stable lower-case names of the wire enums, as used in data files, CSV
 *  cells, JSON, logs, topics and the CLI, and their parsers (part of the wire contract,
 *  mvoi_contract.h). A name, once shipped, is never changed: files and topics carry it.
 *
 *  Calendar enums (docs/domain.md#themes, #tenders): parsers accept the Dutch id plus
 *  common English/Dutch synonyms, case-insensitively, spaces/'-'/'&' read as '_'; they
 *  return 0 or -EINVAL. A name function returns "unspecified" for 0 or an unknown value.
 *
 *  KPIs (kpi.proto Kpi, 1..6): one exact name each (the KPI segment of a total's topic) and
 *  the unit of its raw integers; NULL / -EINVAL outside 1..6.
 */
#ifndef MVOI_NAMES_H
#define MVOI_NAMES_H

#include <stdbool.h>
#include "calendar.pb-c.h"
#include "kpi.pb-c.h"

#define MVOI_KPI_COUNT 6

const char *mvoi_theme_name(Mvoi__Theme t);           /* "klimaat"...; "unspecified" */
const char *mvoi_kind_name(Mvoi__TenderKind k);       /* "leveringen", "diensten", "werken" */
const char *mvoi_procedure_name(Mvoi__Procedure p);   /* "enkelvoudig_onderhands"... */
const char *mvoi_commitment_name(Mvoi__Commitment c); /* "eis", "gunning", "innovatie" */
const char *mvoi_status_name(Mvoi__TenderStatus s);   /* "planned"... "cancelled" */

int mvoi_theme_parse(const char *s, Mvoi__Theme *out);
int mvoi_kind_parse(const char *s, Mvoi__TenderKind *out);
int mvoi_procedure_parse(const char *s, Mvoi__Procedure *out);
int mvoi_commitment_parse(const char *s, Mvoi__Commitment *out);
int mvoi_status_parse(const char *s, Mvoi__TenderStatus *out);
/* A theme's name for a value 1..6, NULL otherwise: the strict form for keys and topics. */
const char *mvoi_theme_key(int theme);

const char *mvoi_kpi_name(int kpi);   /* "fairtrade" "sroi" "nox" "material" "co2" "pilots" */
const char *mvoi_kpi_unit(int kpi);   /* "products" "cent" "mg" "g" "g" "pilots" */
/* Does the KPI have a target at all: SROI (the obligations of the year's tenders, which may
 * be 0) and pilots (3 a year). The other four carry target 0 on the wire, meaning none. */
bool mvoi_kpi_has_target(int kpi);
/* Exact (case-sensitive) KPI name to 1..6; -EINVAL for anything else. */
int mvoi_kpi_parse(const char *name, int *kpi);

#endif
