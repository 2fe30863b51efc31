/*  mvoictl: the command line for people and scripts.
 *
 *  `mvoictl [options] <group> <verb> [args]`. Each group lives in its own cmd_<group>.c
 *  and exports a table of ctl_cmd_t; main.c lists the groups. Data goes to stdout,
 *  diagnostics to stderr; exit codes follow sysexits.h (64 usage, 65 data error: the
 *  service refused the data as invalid, not found, existing or changed, 66 no input, 69
 *  service unavailable, 70 internal, 71 no ZeroMQ context/socket, 74 stdout could not be
 *  written, 77 CURVE key refused, 78 configuration); the help's "ctl.help.exit" lists the
 *  same.
 */
#ifndef MVOI_CTL_H
#define MVOI_CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>
#include <zmq.h>
#include "envelope.pb-c.h"
#include "text.h"

#define CTL_EX_OK 0
#define CTL_EX_FAIL 1          /* the service answered with an error it judged final */
#define CTL_EX_USAGE EX_USAGE
#define CTL_EX_DATAERR EX_DATAERR
#define CTL_EX_NOINPUT EX_NOINPUT
#define CTL_EX_UNAVAILABLE EX_UNAVAILABLE
#define CTL_EX_SOFTWARE EX_SOFTWARE
#define CTL_EX_OSERR EX_OSERR  /* the process could not get a resource (ZeroMQ context) */
#define CTL_EX_IOERR EX_IOERR  /* stdout could not be written (ctl_out_close) */

typedef struct {
    bool json;                 /* --json: machine-readable output */
    const char *buyer;         /* --buyer / MVOI_BUYER; NULL when neither is given (no
                                  default: ctl_buyer.c) */
    int timeout_ms;            /* --timeout / MVOI_CTL_TIMEOUT_MS, default 5000 */
    const char *lang;          /* --lang / MVOI_LANG: nl (default) or en */
    text_lang_t tl;            /* the same, parsed */
    bool raw;                  /* --raw: the exact integers in their stored units */
    const struct option *opts; /* the running verb's options, if it set them: an error's
                                  field is then named as the option the user typed */
    const char *const *field_flags; /* pairs, NULL-ended: a request's field and the flag
                                  that set it ("sroi_pct_bp", "--sroi"), for verbs whose
                                  flags are not named as the fields (tender); else NULL */
} ctl_t;

typedef struct {
    const char *verb;
    const char *usage;         /* "ARGS..." shown in help */
    const char *summary;
    int (*fn)(ctl_t *ctl, int argc, char **argv);   /* argv[0] is the verb */
} ctl_cmd_t;

typedef struct {
    const char *group;
    const char *summary;
    const ctl_cmd_t *cmds;     /* terminated by { NULL } */
} ctl_group_t;

/* Endpoint of a service's ROUTER: MVOI_<SERVICE>_API or the documented default. */
const char *ctl_endpoint(const char *service);
const char *ctl_pub_endpoint(const char *service);

/* A DEALER to a service's ROUTER, made as every socket of mvoictl must be: CURVE client
 * (mvoi_curve_client: a socket without it is refused by a CURVE bus and looks like a
 * service that never answers), linger 0, a handshake monitor (mon, may be NULL), connected.
 * 0, or an exit code after the message (64 a malformed endpoint, 71 no ZeroMQ). */
typedef struct {
    void *zctx, *sock, *mon;
    const char *ep;
    int lost;       /* handshakes lost in a row without detail (ctl_dealer_refused) */
} ctl_dealer_t;
int ctl_dealer_open(const ctl_t *ctl, const char *service, ctl_dealer_t *d);
/* After a poll with mon_item = { d->mon, ..., ZMQ_POLLIN }: EX_NOPERM (77) with the message
 * when the service refused our key, else 0. A refusal is a failed handshake with a reason
 * (authentication, protocol: one side without CURVE), or CTL_HANDSHAKES_LOST handshakes in
 * a row that ended without one: a CURVE server drops a HELLO it cannot decrypt (a wrong
 * server key) as a service killed mid-handshake drops it, but only the first repeats on
 * every reconnection (100 ms apart); a restarted service's next handshake succeeds. */
#define CTL_HANDSHAKES_LOST 3
int ctl_dealer_refused(const ctl_t *ctl, const char *service, ctl_dealer_t *d,
                       const zmq_pollitem_t *mon_item);
void ctl_dealer_close(ctl_dealer_t *d);

/* Send req (request_id, buyer, schema filled in when missing) and wait for the reply.
 * Returns 0 with *reply set (free with ctl_free), or an exit code (69 when unreachable). */
int ctl_call(ctl_t *ctl, const char *service, Mvoi__Envelope *req, Mvoi__Envelope **reply);
void ctl_free(Mvoi__Envelope **reply);

/* If reply is an Error, print "error: FIELD: MESSAGE" to stderr and return the exit code
 * for its code (65 for invalid input, 69 unavailable, 77 the caller's key refused
 * (ctl_key_refused), 1 otherwise); 0 if not an error. */
int ctl_check_error(ctl_t *ctl, const Mvoi__Envelope *reply);
/* One total of `kpi watch` on out: with json, doc (its compact JSON, pbjson_dumps; NULL when
 * that failed) as one line, else the line for people and grep. CTL_EX_OK, or
 * CTL_EX_SOFTWARE named on stderr when json and no doc: never a plain line among JSON lines. */
int ctl_kpi_line(const ctl_t *ctl, FILE *out, const Mvoi__KpiTotal *t, bool json,
                 const char *doc);
/* Is e the service refusing the caller's key itself (PERMISSION_DENIED on "key")? */
bool ctl_key_refused(const Mvoi__Error *e);

/* The user's name for a service's field path: its last part without the request's path and
 * index ("compute_impact.measurements[0].id" -> "id"), as "--id" when opts (may be NULL)
 * has an option of that name. */
void ctl_field_name(const char *field, const struct option *opts, char *buf, size_t cap);
/* message without the "FIELD: " the service may repeat in front of it. */
const char *ctl_field_message(const char *field, const char *message);

/* The end of every run (ctl_out.c): stdout written out and closed. ex when it was, else
 * ex if that is already a failure, else 74 (EX_IOERR); either way a write that failed is
 * named on stderr ("ctl.err.stdout"): a full disk or a vanished reader is never exit 0. */
int ctl_out_close(const ctl_t *ctl, int ex);
/* fflush(stdout) where output must be out before going on (a line of kpi watch, a table
 * before its count on stderr): 0, or -errno of the first write that failed (kept for
 * ctl_out_close's message); a command that would go on writing stops. */
int ctl_out_flush(void);

/* The catalogue text of key in the chosen language (common/messages.def, "ctl.*"). */
const char *ctl_text(const ctl_t *ctl, const char *key);
/* "mvoictl: <catalogue text of key, formatted>" on stderr; returns code. Every user-facing
 * diagnostic goes through here, so that it is in the chosen language. */
int ctl_fail(const ctl_t *ctl, int code, const char *key, ...);

/* The handshake monitor of a DEALER (ctl_curve.c): NULL if it cannot be made. After a poll
 * shows it readable, ctl_curve_refused() gives the event (ZMQ_EVENT_HANDSHAKE_SUCCEEDED or
 * a ZMQ_EVENT_HANDSHAKE_FAILED_*, 0 if none) and *status (the ZAP status, 400 for a key not
 * in the registry; the errno of a handshake lost without detail). */
void *ctl_curve_monitor(void *zctx, void *sock);
int ctl_curve_refused(void *mon, int *status);

/* The one parser of numbers a user types (ctl_opt.c): text must be a whole number
 * ([-]digits, nothing else) in [min, max]. 0 with *out set, or CTL_EX_USAGE after
 * "option --NAME: 'TEXT' is not a whole number between MIN and MAX" on stderr. A value
 * that is absent is the caller's own state (a has_ flag), never a typed 0. */
int ctl_opt_int(const ctl_t *ctl, const char *name, const char *text, long min, long max,
                long *out);
/* The same rule without a message (for environment variables): 0, -EINVAL (not a whole
 * number) or -ERANGE (outside [min, max]); *out is set only on 0. */
int ctl_parse_int(const char *text, long min, long max, long *out);
/* The same into a uint32_t protobuf field (0 <= min, max <= UINT32_MAX). */
int ctl_opt_u32(const ctl_t *ctl, const char *name, const char *text, long min, long max,
                uint32_t *out);
/* --limit and --offset of every list: a page is 1..1000 (the services' maximum: more was
 * clamped silently, 0 meant their default), an offset any uint32. */
#define CTL_OPT_LIMIT(ctl, text, out) ctl_opt_u32((ctl), "limit", (text), 1, 1000, (out))
#define CTL_OPT_OFFSET(ctl, text, out) ctl_opt_u32((ctl), "offset", (text), 0, 4294967295L, (out))

/* After a verb's getopt loop: argv[first..argc) must be empty (first = optind, or the
 * index after the operands the verb takes); else "unexpected argument 'X'" and 64. */
int ctl_no_operands(const ctl_t *ctl, int argc, char **argv, int first);
/* The current calendar year in Dutch time (ctl_nl_time, whatever the machine's TZ): the
 * default of an absent --year. */
int ctl_this_year(void);

/* "YYYY-MM-DD HH:MM" of ms since the epoch in Dutch time (ctl_time.c: CET/CEST by the EU
 * rule, as the notifier plans; not the machine's TZ). */
void ctl_nl_time(char *buf, size_t len, int64_t ms);

/* A fresh request id: "<prefix>-<time>-<random>". */
void ctl_request_id(char *buf, size_t len, const char *prefix);

/* Remove every argv[i] (i > 0) equal to flag; true if there was one. */
bool ctl_strip_flag(int *argc, char **argv, const char *flag);
/* Where a command's effect is in its producer's history: the reply's seq (MeasurementReply
 * .seq) and the producer's incarnation it is of (Envelope.incarnation; 0: not said). */
typedef struct {
    uint64_t seq, incarnation;
} ctl_applied_t;
/* Read your own writes: return once the kpi-aggregator has applied at of producer
 * ("impact", "calendar"), asking again with a growing pause up to the --timeout (then 69). */
int ctl_wait_applied(ctl_t *ctl, const char *producer, const ctl_applied_t *at);

/* A refusal that is the impact-calculator waiting for the calendar about a measurement's
 * tender (ERR_UNAVAILABLE on "...tender_id"): the calendar may have registered it a moment
 * ago; the same request asked again soon gets the final answer. */
bool ctl_tender_pending(const Mvoi__Envelope *reply);
/* The pauses before asking again: the first call starts the --timeout; false once it is
 * over, else sleeps a growing pause (2 ms to 256 ms) and returns true. */
typedef struct {
    int64_t until;
    long pause_us;
} ctl_settle_t;
bool ctl_settle_pause(const ctl_t *ctl, ctl_settle_t *st);
/* ctl_call under one request id, asked again with a growing pause while the reply is
 * ctl_tender_pending, up to the --timeout; then the last reply is the caller's. */
int ctl_call_settled(ctl_t *ctl, const char *service, Mvoi__Envelope *req,
                     Mvoi__Envelope **reply);

/* The buyer of a command (ctl_buyer.c): --buyer, else MVOI_BUYER, else a sheet's buyer
 * column; never a default. ctl_buyer_required: 0 when ctl->buyer is set, else exit 64
 * after "ctl.err.no_buyer". ctl_buyer_of_sheet, for an import whose rows may name their
 * buyer: 0 when ctl->buyer is set or every one of the n rows names the same buyer (which
 * then becomes ctl->buyer); else 64 naming the row without a buyer, or two rows that name
 * different ones. cell gives row i's buyer cell (NULL or "" when empty) and its line. */
int ctl_buyer_required(const ctl_t *ctl);
typedef const char *(*ctl_sheet_buyer_fn)(const void *arg, size_t i, size_t *row);
int ctl_buyer_of_sheet(ctl_t *ctl, ctl_sheet_buyer_fn cell, const void *arg, size_t n);

/* Print a protobuf message as JSON (field names as in the .proto). */
void ctl_print_json(FILE *out, const ProtobufCMessage *msg);
/* mvoictl kpi pilots (cmd_kpi_pilots.c) */
int ctl_kpi_pilots(ctl_t *ctl, int argc, char **argv);

#endif
