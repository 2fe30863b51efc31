/*  cmd_measure: what the files of the mvoictl "measure" group share (cmd_measure.c: the
 *  verbs; cmd_measure_fields.c: one measurement from fields; cmd_measure_import.c: the CSV
 *  import). */
#ifndef MVOI_CMD_MEASURE_H
#define MVOI_CMD_MEASURE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"
#include "impact.pb-c.h"

/* One measurement being built from named fields (flags or CSV columns); the protobuf
 * parts point into the struct itself, so it is never copied. */
typedef struct {
    Mvoi__Measurement m;
    Mvoi__EnergyUse e;
    Mvoi__MachineUse mu;
    Mvoi__RoadTransport r;
    Mvoi__Material mat;
    Mvoi__SocialReturn s;
    Mvoi__FairTrade ft;
    Mvoi__Mki k;
    Mvoi__PilotStatus p;
    char *strs[96];          /* owned copies */
    int nstrs;
    /* What was given, so that ctl_meas_done can refuse a field of another kind instead of
     * sending the measurement without it: bit i is entry i of the field table, text[i] its
     * text. A field whose message depends on the kind ("kwh") waits in later[] until then. */
    uint64_t given;
    const char *text[64];
    struct { const char *key, *v; } later[2];
    int nlater;
    char err[512];   /* a 64-byte key, a 64-byte value and a reason of up to 256 */
    /* How the text is read and refused (set after ctl_meas_init): the delimiter of the CSV
     * it comes from (csv_parse_fixed_in: ';' Dutch, ',' or TAB ambiguity refused; 0 for a
     * flag), and the language of err and of ctl_meas_done's reasons (English by default). */
    char delim;
    text_lang_t lang;
    /* In a ';' sheet, the numbers whose '.' is a decimal point (dot_decimal) and those whose
     * '.' is a thousands separator by the Dutch rule only ("1.234", dot_thousands), by
     * entry as given: the sheet as a whole decides whether the latter are a guess. */
    uint64_t dot_decimal, dot_thousands;
} ctl_meas_t;

void ctl_meas_init(ctl_meas_t *x);
void ctl_meas_fini(ctl_meas_t *x);
/* Set one field by its column/flag name, in any order. Empty values are ignored. 0 or
 * -EINVAL (x->err: "key: why"). Numbers follow csv_parse_fixed (csv_import.h), yes/no
 * csv_parse_bool; a number outside its field's range is refused, never wrapped. */
int ctl_meas_set(ctl_meas_t *x, const char *key, const char *v);
/* After the last ctl_meas_set: place the fields that wait for the kind and refuse every field
 * the measurement's kind does not use (a cell is stored exactly or the row is refused).
 * Calls bad(arg, key, text, why) per refused field (bad may be NULL); x->err holds the first.
 * Returns the number of refused fields. */
int ctl_meas_done(ctl_meas_t *x, void (*bad)(void *, const char *, const char *, const char *),
                  void *arg);
/* Do two field names set the same .proto field ("tender" and "tender_id", "period" and
 * "period_end", a name and itself)? */
bool ctl_meas_same_field(const char *a, const char *b);
/* The field name of entry i of the table (bit i of given, dot_decimal, dot_thousands). */
const char *ctl_meas_key(int i);
/* Is key a field name (a CSV column or a flag)? */
bool ctl_meas_known(const char *key);
/* The getopt_long options of the measurement flags (val 0), and --json (val 'J'). */
const struct option *ctl_meas_options(void);

/* The impact-calculator's replies for people (cmd_measure_out.c): Dutch by default, English
 * with --lang en; --raw keeps the earlier layout with the stored integers. --json is the
 * caller's (the reply as it came). */
void ctl_measure_print_list(const ctl_t *ctl, const Mvoi__MeasurementList *ml);
void ctl_measure_print_record(const ctl_t *ctl, const Mvoi__MeasurementRecord *rec);
void ctl_measure_print_result(const ctl_t *ctl, const Mvoi__MeasurementResult *x);
void ctl_measure_print_factors(const ctl_t *ctl, const Mvoi__FactorTableList *fl);

/* mvoictl measure import FILE.csv [--dry-run] [--run NAME] [--per N] [--window N] */
int ctl_measure_import(ctl_t *ctl, int argc, char **argv);

#endif
