/*  The command groups of mvoictl besides "system": one line per cmd_<group>.c.
 *  Adding a group: declare its table here (CTL_WEAK) and add it to CTL_GROUP_LIST. The
 *  tables are weak symbols: a group whose cmd_<group>.c is not built is left out, not a
 *  link error. */
#ifndef MVOI_CTL_GROUPS_H
#define MVOI_CTL_GROUPS_H

#define CTL_WEAK __attribute__((weak))

extern const ctl_cmd_t ctl_tender_cmds[] CTL_WEAK;
extern const ctl_cmd_t ctl_kpi_cmds[] CTL_WEAK;
extern const ctl_cmd_t ctl_reminders_cmds[] CTL_WEAK;
extern const ctl_cmd_t ctl_report_cmds[] CTL_WEAK;
extern const ctl_cmd_t ctl_measure_cmds[] CTL_WEAK;
extern const ctl_cmd_t ctl_keys_cmds[] CTL_WEAK;
#define CTL_GROUP_LIST { "tender", "the procurement calendar: tenders, ambition, imports", ctl_tender_cmds }, \
    { "kpi", "the six KPIs: totals and a live watch (Clone)", ctl_kpi_cmds }, \
    { "reminders", "notifier: invitations and reminders, dead letters", ctl_reminders_cmds }, \
    { "report", "monitoring reports (HTML, PDF, XLSX, CSV, JSON, MVI Platform)", ctl_report_cmds }, \
    { "measure", "impact-calculator: measurements, what-if, factor tables", ctl_measure_cmds }, \
    { "keys", "CURVE keys for the bus: generate a key pair", ctl_keys_cmds },

#endif
