/*  rp_stage: a request's report files, all of its formats or none, also across a crash.
 *
 *  Every format of a request is written (and the PDF printed) in a staging directory beside
 *  the period's directory, <buyer>/.<period>.staging, under its final name. Once all of
 *  them are there, the period's files outside the request's own set (the report in the
 *  other language, a file not ours) are hard-linked in beside them, and the staging
 *  directory and the period's directory are exchanged in one renameat2(RENAME_EXCHANGE).
 *  The own set is every format of the request's language and the MVI export: a format of
 *  that set the request did not ask for is not carried over, because it holds an earlier
 *  run's figures (an html regenerated beside the PDF printed from the one before, the two
 *  the README promises can never disagree). A reader that opens <period>/<file> sees the
 *  set before or the set after, never a mix: no half set that could be served as the
 *  report, and never one run's html beside another run's PDF, csv or json.
 *
 *  Why a directory exchange: the files are read by their paths (the gateway opens the path
 *  the reply names, people and backups read the directory), so a manifest that readers must
 *  honour would protect none of them, and renaming file by file (as before) is a mixed set
 *  the moment a rename fails or the process is killed between two of them. Swapping the
 *  directory that holds the whole set in one atomic step is what Kubernetes' AtomicWriter
 *  does for a volume's files (a "..data" symlink swapped by one rename) and what
 *  `mv --exchange` (coreutils 9.5) does; the exchange keeps the period's path a real
 *  directory (no symlink for realpath or a backup to follow). A kill -9 before the exchange
 *  leaves the earlier set, after it the new one; the staging directory it leaves (a partial
 *  set, or the earlier set swapped out) is no path a reader is given and is removed when the
 *  period is generated next. */
#ifndef RP_STAGE_H
#define RP_STAGE_H

#include <stdbool.h>
#include <stddef.h>

/* out = <dir's parent>/.<dir's last component>.staging/<final's last component>; 0, or
 * -ENAMETOOLONG (never cut). */
int rp_stage_path(char *out, size_t cap, const char *dir, const char *final);
/* Removes what a crashed job left in dir's staging directory and creates it empty (the
 * parent exists); 0 or a negative errno. */
int rp_stage_open(const char *dir);
/* Makes the staged files dir's set, in one step (see above): 0, or a negative errno and dir
 * as it was. own: the name prefixes of the request's own set ("mvoi-report-<buyer>-<period>
 * .<lang>.", the MVI export's name); the period's other files stay. The set it replaced is
 * removed afterwards. */
int rp_stage_promote(const char *dir, const char *const *own, size_t nown);
/* Removes dir's staging directory and everything in it; what is not there is fine. The
 * service runs one job at a time, so the directory is its own. */
void rp_stage_clear(const char *dir);

/* Tests: the nth step of a promote (each link, the exchange, then the removal of the set it
 * replaced; 1 = the first) fails with -EIO, or with crash the process kills itself with
 * SIGKILL just before that step, as a kill -9 would. 0: off. */
void rp_stage_fault(int nth, bool crash);
/* The promote's next step (counted for rp_stage_fault): 0, or -EIO when it is to fail. */
int rp_stage_step(void);

#endif
