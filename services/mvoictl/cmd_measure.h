/*  cmd_measure: what the files of the mvoictl "measure" group share (cmd_measure.c: the
 *  verbs; cmd_measure_fields.c: one measurement from fields; cmd_measure_import.c: the CSV
 *  import). */
#ifndef MVOI_CMD_MEASURE_H
#define MVOI_CMD_MEASURE_H

#include <getopt.h>
#include <stdbool.h>

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
    char *strs[48];          /* owned copies */
    int nstrs;
    char err[256];
} ctl_meas_t;

void ctl_meas_init(ctl_meas_t *x);
void ctl_meas_fini(ctl_meas_t *x);
/* Set one field by its column/flag name. Empty values are ignored. 0 or -EINVAL (x->err). */
int ctl_meas_set(ctl_meas_t *x, const char *key, const char *v);
/* Is key a field name (a CSV column or a flag)? */
bool ctl_meas_known(const char *key);
/* The getopt_long options of the measurement flags (val 0), and --json (val 'J'). */
const struct option *ctl_meas_options(void);

/* mvoictl measure import FILE.csv [--dry-run] [--run NAME] [--per N] [--window N] */
int ctl_measure_import(ctl_t *ctl, int argc, char **argv);

#endif
