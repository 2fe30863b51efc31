/*  mvoictl kpi: the six KPIs of the plan.
 *
 *  show   one KpiQuery per KPI for the buyer and window (year or year-quarter) and a table
 *         of ambition, realisation, projects and target.
 *  watch  a Clone client (zguide ch. 5): SUB to the aggregator's stream first, then a
 *         snapshot over the ROUTER ([topic][Envelope{kpi_total}] items until SnapshotEnd
 *         {seq}); updates at or below that seq are dropped, later ones applied; a gap in
 *         the seq or a heartbeat whose head is beyond what we have means we missed
 *         something: re-snapshot. Each change prints one line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "codec.h"
#include "ctl.h"
#include "ctl_units.h"
#include "mvoi_contract.h"   /* the topic keys and names of the aggregator */
#include "mvoi_curve.h"
#include "pbjson.h"

/* no_target: the total has none (a quarter's pilots: the plan's target is a year's) */
typedef struct { int64_t amb, real, proj, target; bool no_target; } s_row_t;

/* One KPI's total for the window: 0, or an exit code (a missing total is all zeros). */
static int s_query(ctl_t *ctl, int k, const char *key, uint32_t quarter, s_row_t *row)
{
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
    q.key = (char *)key;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    req.kpi_query = &q;
    Mvoi__Envelope *r = NULL;
    int ex = ctl_call(ctl, "kpi", &req, &r);
    if (ex != 0)
        return ex;
    memset(row, 0, sizeof *row);
    if (r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
        row->amb = r->kpi_total->ambition;
        row->real = r->kpi_total->realisation;
        row->proj = r->kpi_total->projects;
        row->target = r->kpi_total->target;
    } else if (r->body_case == MVOI__ENVELOPE__BODY_ERROR &&
               r->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND) {
        if (k == 6 && !quarter)
            row->target = 3;   /* nothing counted yet: the plan's target still stands */
    } else {
        ex = ctl_check_error(ctl, r);
        ctl_free(&r);
        return ex ? ex : CTL_EX_SOFTWARE;
    }
    ctl_free(&r);
    row->no_target = k == 6 && quarter;
    return 0;
}

static int64_t s_abs(int64_t v) { return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v; }

/* s in a column of width characters, right-aligned (width > 0) or left (< 0), as printf's
 * %Ns would place it if it counted characters: it counts bytes, and a "€" or "–" is three,
 * which pushed the SROI row two places out of line. */
static void s_cell(const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    int pad = (width < 0 ? -width : width) - chars;
    if (width < 0)
        fputs(s, stdout);
    for (; pad > 0; pad--)
        putchar(' ');
    if (width > 0)
        fputs(s, stdout);
}

/* A row in people's units: one unit per row, from its largest value. */
static void s_print_human(const ctl_t *ctl, int k, const s_row_t *x)
{
    int64_t max = s_abs(x->amb);
    if (s_abs(x->real) > max) max = s_abs(x->real);
    if (s_abs(x->target) > max) max = s_abs(x->target);
    ctl_unit_t u, cnt;
    ctl_unit_pick(k, max, &u);
    ctl_unit_pick(0, 0, &cnt);
    char a[48], r[48], p[48], t[48];
    ctl_unit_num(a, sizeof a, &u, x->amb, ctl->tl);
    ctl_unit_num(r, sizeof r, &u, x->real, ctl->tl);
    ctl_unit_num(p, sizeof p, &cnt, x->proj, ctl->tl);
    ctl_unit_num(t, sizeof t, &u, x->target, ctl->tl);
    if (k == 2) {
        /* money as a Dutch reader writes it: the sign in front of each amount */
        char *cells[] = { a, r, t };
        for (int i = 0; i < 3; i++) {
            char m[48];
            snprintf(m, sizeof m, ctl->tl == TEXT_EN ? "€%s" : "€ %s", cells[i]);
            memcpy(cells[i], m, sizeof m);
        }
    }
    if (!mvoi_kpi_has_target(k) || x->no_target)
        snprintf(t, sizeof t, "–");   /* no target, not a target of 0 */
    static const char *labels[] = { NULL, "kpi.fairtrade", "kpi.sroi", "kpi.nox",
                                    "kpi.material", "kpi.co2", "kpi.pilots" };
    s_cell(ctl_text(ctl, labels[k]), -32);
    const char *cells[] = { a, r, p, t };
    static const int widths[] = { 16, 16, 10, 16 };
    for (int i = 0; i < 4; i++) {
        putchar(' ');
        s_cell(cells[i], widths[i]);
    }
    if (k != 2)   /* the euro sign is in the figures */
        printf(" %s", ctl_text(ctl, u.key));
    putchar('\n');
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    long year = ctl_this_year(), quarter = 0;   /* absent --quarter: the whole year */
    bool json = ctl->json, raw = ctl->raw;
    static const struct option opts[] = {
        { "year", required_argument, NULL, 'y' }, { "quarter", required_argument, NULL, 'q' },
        { "json", no_argument, NULL, 'j' }, { "raw", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 } };
    int c, ex = CTL_EX_OK;
    optind = 0;   /* full getopt re-initialisation: options may follow operands */
    while ((c = getopt_long(argc, argv, "y:q:jr", opts, NULL)) != -1) {
        switch (c) {
        case 'y': ex = ctl_opt_int(ctl, "year", optarg, 1900, 2999, &year); break;
        case 'q': ex = ctl_opt_int(ctl, "quarter", optarg, 1, 4, &quarter); break;
        case 'j': json = true; break;
        case 'r': raw = true; break;
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bad_option");
        }
        if (ex != CTL_EX_OK)
            return ex;
    }
    if ((ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    char window[16], shown[32];
    if (quarter) {
        snprintf(window, sizeof window, "%ld-q%ld", year, quarter);
        snprintf(shown, sizeof shown, "Q%ld %ld", quarter, year);
    } else {
        snprintf(window, sizeof window, "%ld", year);
        snprintf(shown, sizeof shown, "%ld", year);
    }
    /* Every total first, so that a failure prints nothing but the error. */
    s_row_t rows[7];
    char keys[7][MVOI_TOPIC_MAX];
    for (int k = 1; k <= 6; k++) {
        if (mvoi_topic_kpi(keys[k], sizeof keys[k], k, (uint32_t)year, (uint32_t)quarter,
                           ctl->buyer, 0, NULL, NULL) != 0)
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.buyer_key", ctl->buyer);
        ex = s_query(ctl, k, keys[k], (uint32_t)quarter, &rows[k]);
        if (ex != 0)
            return ex;
    }
    if (json) {
        printf("[\n");
    } else if (raw) {
        /* the catalogue's title (in --lang) with the window as a script writes it */
        printf(ctl_text(ctl, "ctl.kpi.title"), ctl->buyer, window);
        putchar('\n');
        printf("%-10s %18s %18s %9s %16s %s\n", "kpi", "ambition", "realisation", "projects",
               "target", "unit");
    } else {
        printf(ctl_text(ctl, "ctl.kpi.title"), ctl->buyer, shown);
        printf("\n%-32s %16s %16s %10s %16s %s\n", ctl_text(ctl, "ctl.kpi.col.kpi"),
               ctl_text(ctl, "kpi.ambition"), ctl_text(ctl, "kpi.realisation"),
               ctl_text(ctl, "kpi.projects"), ctl_text(ctl, "kpi.target"),
               ctl_text(ctl, "ctl.kpi.col.unit"));
    }
    for (int k = 1; k <= 6; k++) {
        const s_row_t *x = &rows[k];
        /* no target (CO2, a quarter's pilots) is null and "-", as "–" for people: a target
         * of 0 read by a script is one met by any figure */
        char target[24];
        bool has_target = mvoi_kpi_has_target(k) && !x->no_target;
        if (has_target)
            snprintf(target, sizeof target, "%lld", (long long)x->target);
        else
            snprintf(target, sizeof target, "%s", json ? "null" : "-");
        if (json)
            printf("  {\"kpi\": \"%s\", \"key\": \"%s\", \"ambition\": %lld, \"realisation\": "
                   "%lld, \"projects\": %lld, \"target\": %s, \"unit\": \"%s\"}%s\n",
                   mvoi_kpi_name(k), keys[k], (long long)x->amb, (long long)x->real,
                   (long long)x->proj, target, mvoi_kpi_unit(k), k < 6 ? "," : "");
        else if (raw)
            printf("%-10s %18lld %18lld %9lld %16s %s\n", mvoi_kpi_name(k), (long long)x->amb,
                   (long long)x->real, (long long)x->proj, target, mvoi_kpi_unit(k));
        else
            s_print_human(ctl, k, x);
    }
    if (json)
        printf("]\n");
    return CTL_EX_OK;
}

/* ---------------------------------------------------------------- watch (Clone) */

typedef struct {
    void *sub, *dealer, *mon;
    ctl_dealer_t d;   /* the snapshot DEALER with its handshake monitor (a refused key) */
    uint64_t seq, epoch, incarnation;
    long changes, count;
    const char *prefix;
    bool json;        /* --json: each change one JSON document on one line (JSON Lines) */
    bool lost;        /* a line could not be written (a full disk): the watch stops */
    int failed;       /* a line could not be made (ctl_kpi_line): its exit; the watch stops */
    const ctl_t *ctl;
} watch_t;

/* Every line goes through here, the first snapshot's too: --count N is N lines in all
 * (a snapshot of more totals than N printed them all, then one more change). */
static void s_print(watch_t *w, const Mvoi__KpiTotal *t)
{
    if (w->count > 0 && w->changes >= w->count)
        return;
    if (w->failed)
        return;
    char *j = w->json ? pbjson_dumps(&t->base, 0) : NULL;   /* compact: one line */
    w->failed = ctl_kpi_line(w->ctl, stdout, t, w->json, j);
    free(j);
    if (w->failed)
        return;
    /* a watch runs until stopped: one that kept going on a full disk printed nothing, for
     * ever, and said nothing (ctl_out_close names it once the watch ends) */
    w->lost = w->lost || ctl_out_flush() != 0;
    w->changes++;
}

/* The first snapshot is printed whole, so that a watcher starts with the whole picture; a
 * re-snapshot of the same epoch and incarnation prints only the totals that moved past the
 * view's seq, so a total is not printed (and counted) twice. A snapshot of another
 * incarnation (the aggregator restarted, perhaps from an older copy of its store, whose
 * seqs may repeat ours with other figures: docs/design.md#rebuild) is printed whole again.
 * The items are therefore kept until SnapshotEnd says which. */
static void s_snap_flush(watch_t *w, Mvoi__Envelope **items, size_t n, uint64_t shown,
                         bool whole)
{
    for (size_t i = 0; i < n; i++) {
        if (whole || items[i]->kpi_total->seq > shown)
            s_print(w, items[i]->kpi_total);
        codec_free(&items[i]);
    }
}

/* Wait for the snapshot's next message: 0 when the DEALER has one, -1 when only its
 * monitor spoke, or the exit code after the message: a refused key gets no answer at all,
 * and the handshake monitor tells it from an aggregator that is down (77, as every other
 * command, not 69 after the wait). */
static int s_snap_wait(watch_t *w, ctl_t *ctl)
{
    zmq_pollitem_t it[2] = { { w->dealer, 0, ZMQ_POLLIN, 0 }, { w->d.mon, 0, ZMQ_POLLIN, 0 } };
    int pn = zmq_poll(it, w->d.mon ? 2 : 1, ctl->timeout_ms);
    int refused = pn > 0 ? ctl_dealer_refused(ctl, "kpi", &w->d, &it[1]) : 0;
    if (refused)
        return refused;
    if (pn <= 0) {
        ctl_fail(ctl, 0, "ctl.err.no_snapshot", ctl_endpoint("kpi"), ctl->timeout_ms);
        return CTL_EX_UNAVAILABLE;
    }
    return (it[0].revents & ZMQ_POLLIN) ? 0 : -1;
}

static int s_snapshot(watch_t *w, ctl_t *ctl)
{
    uint64_t shown = w->seq;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = (char *)w->prefix;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    char rid[64];
    ctl_request_id(rid, sizeof rid, "watch");
    env.request_id = rid;
    env.buyer = (char *)ctl->buyer;
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[1024];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len < 0 || zmq_send(w->dealer, buf, (size_t)len, 0) < 0)
        return CTL_EX_SOFTWARE;
    Mvoi__Envelope **items = NULL;
    size_t nitems = 0, cap = 0;
    for (;;) {
        int wr = s_snap_wait(w, ctl);
        if (wr > 0) {
            s_snap_flush(w, items, nitems, UINT64_MAX, false);   /* frees, prints none */
            free(items);
            return wr;
        }
        if (wr < 0)
            continue;
        zmq_msg_t f[2];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, w->dealer, 0) < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            if (n < 2)
                f[n++] = m;
            else
                zmq_msg_close(&m);
        }
        if (n == 0)
            continue;
        int err = 0;
        Mvoi__Envelope *e = codec_unpack(zmq_msg_data(&f[n - 1]), zmq_msg_size(&f[n - 1]),
                                         CODEC_DEFAULT_BUDGET, &err);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (!e)
            continue;
        int rc = -1;
        if (n == 2 && e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
            if (nitems == cap) {
                size_t nc = cap ? cap * 2 : 256;
                Mvoi__Envelope **ni = realloc(items, nc * sizeof *ni);
                if (!ni) {
                    codec_free(&e);
                    s_snap_flush(w, items, nitems, UINT64_MAX, false);
                    free(items);
                    return CTL_EX_SOFTWARE;
                }
                items = ni;
                cap = nc;
            }
            items[nitems++] = e;
            continue;
        } else if (n == 1 && e->request_id && strcmp(e->request_id, rid) == 0) {
            if (e->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END) {
                const Mvoi__SnapshotEnd *se = e->snapshot_end;
                bool whole = shown == 0 || se->epoch != w->epoch ||
                             (w->incarnation && se->incarnation != w->incarnation);
                s_snap_flush(w, items, nitems, shown, whole);
                nitems = 0;
                w->seq = e->snapshot_end->seq;
                w->epoch = e->snapshot_end->epoch;
                w->incarnation = e->snapshot_end->incarnation;
                rc = 0;
            } else {
                rc = ctl_check_error(ctl, e);
                if (!rc)
                    rc = CTL_EX_SOFTWARE;
            }
        }
        codec_free(&e);
        if (rc >= 0) {
            s_snap_flush(w, items, nitems, UINT64_MAX, false);   /* an error: free them */
            free(items);
            return rc;
        }
    }
}

static bool s_past(double end)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return end > 0 && ts.tv_sec + ts.tv_nsec / 1e9 >= end;
}

/* One message of the monitor or the stream (waiting up to wait ms): why the view may be
 * behind, or NULL. docs/design.md#clone. */
static const char *s_watch_step(watch_t *w, int wait, size_t plen)
{
    zmq_pollitem_t it[2] = { { w->mon, 0, ZMQ_POLLIN, 0 }, { w->sub, 0, ZMQ_POLLIN, 0 } };
    if (zmq_poll(it, 2, wait) <= 0)
        return NULL;
    if (it[0].revents & ZMQ_POLLIN) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        zmq_msg_init(&addr);
        zmq_msg_recv(&ev, w->mon, 0);
        if (zmq_msg_more(&ev))
            zmq_msg_recv(&addr, w->mon, 0);
        uint16_t id = 0;
        if (zmq_msg_size(&ev) >= 2)
            memcpy(&id, zmq_msg_data(&ev), 2);
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
        return id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? "reconnected" : NULL;
    }
    zmq_msg_t t, b;
    zmq_msg_init(&t);
    zmq_msg_init(&b);
    zmq_msg_recv(&t, w->sub, 0);
    if (zmq_msg_more(&t))
        zmq_msg_recv(&b, w->sub, 0);
    int err = 0;
    Mvoi__Envelope *e = codec_unpack(zmq_msg_data(&b), zmq_msg_size(&b),
                                     CODEC_DEFAULT_BUDGET, &err);
    bool mine = zmq_msg_size(&t) >= plen && memcmp(zmq_msg_data(&t), w->prefix, plen) == 0;
    zmq_msg_close(&t);
    zmq_msg_close(&b);
    if (!e)
        return NULL;
    const char *why = NULL;
    if (e->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT) {
        const Mvoi__Heartbeat *hb = e->heartbeat;
        if (hb->epoch != w->epoch) {
            why = "new epoch";
            w->seq = 0;   /* another store: its seqs say nothing about ours, show it whole */
        }
        else if (hb->has_incarnation && hb->incarnation != w->incarnation)
            why = "the aggregator restarted";
        else if (hb->head_seq > w->seq)
            why = "heartbeat head beyond ours";
    } else if (e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && e->seq > w->seq) {
        if (e->seq != w->seq + 1) {
            why = "gap in the seq";
        } else {
            if (mine)
                s_print(w, e->kpi_total);
            w->seq = e->seq;
        }
    }
    codec_free(&e);
    return why;
}

/* --seconds S: a positive decimal (atof made "abc" 0, which meant "for ever"). */
static int s_seconds(const ctl_t *ctl, const char *text, double *out)
{
    /* digits and one '.' only: strtod alone also takes " 1", "+1", "0x1f", "inf" */
    bool plain = *text && strspn(text, "0123456789.") == strlen(text);
    char *end = NULL;
    errno = 0;
    double v = plain ? strtod(text, &end) : 0;
    if (!plain || *end || errno || !(v > 0) || v > 1e9)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.opt_seconds", "seconds", text);
    *out = v;
    return CTL_EX_OK;
}

/* --count, --seconds and PREFIX (without it the buyer's totals: one prefix kpi.<buyer>.,
 * built into own). */
static int s_watch_args(ctl_t *ctl, int argc, char **argv, watch_t *w, double *seconds,
                        char *own, size_t cap)
{
    static const struct option opts[] = {
        { "count", required_argument, NULL, 'n' }, { "seconds", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },   /* as after `kpi show`, not only before kpi */
        { NULL, 0, NULL, 0 } };
    int c, ex = CTL_EX_OK;
    optind = 0;   /* full getopt re-initialisation: options may follow the prefix */
    while ((c = getopt_long(argc, argv, "n:s:j", opts, NULL)) != -1) {
        switch (c) {
        case 'n': ex = ctl_opt_int(ctl, "count", optarg, 1, 1000000000L, &w->count); break;
        case 's': ex = s_seconds(ctl, optarg, seconds); break;
        case 'j': w->json = true; break;
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bad_option");
        }
        if (ex != CTL_EX_OK)
            return ex;
    }
    if (optind + 1 < argc)   /* one PREFIX at most */
        return ctl_no_operands(ctl, argc, argv, optind + 1);
    if (optind < argc)
        w->prefix = argv[optind];
    else if (mvoi_topic_kpi_buyer_prefix(own, cap, ctl->buyer) == 0)
        w->prefix = own;
    else
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.buyer_key", ctl->buyer);
    return CTL_EX_OK;
}

static int s_watch(ctl_t *ctl, int argc, char **argv)
{
    watch_t w = { .prefix = NULL, .json = ctl->json, .ctl = ctl };
    char own[MVOI_TOPIC_MAX];
    double seconds = 0;
    int ax = s_watch_args(ctl, argc, argv, &w, &seconds, own, sizeof own);
    if (ax != CTL_EX_OK)
        return ax;
    /* The DEALER as every call makes it (CURVE client, linger 0, handshake monitor); the
     * SUB shares its context. */
    int ex = ctl_dealer_open(ctl, "kpi", &w.d);
    if (ex != CTL_EX_OK)
        return ex;
    void *zctx = w.d.zctx;
    int zero = 0;
    w.sub = zmq_socket(zctx, ZMQ_SUB);
    w.dealer = w.d.sock;
    zmq_setsockopt(w.sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(w.sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(w.dealer, ZMQ_RCVHWM, &zero, sizeof zero);
    /* We subscribe to the whole stream and print only the prefix: the aggregator's seq is
     * gap-free over all totals, so a gap is then a loss whatever the prefix (a filtered
     * subscription has gaps by design and could not tell). The monitor tells us when the
     * SUB (re)connected: what was published while it was away is lost. */
    size_t plen = strlen(w.prefix);
    zmq_setsockopt(w.sub, ZMQ_SUBSCRIBE, MVOI_TOPIC_KPI_PREFIX, strlen(MVOI_TOPIC_KPI_PREFIX));
    zmq_setsockopt(w.sub, ZMQ_SUBSCRIBE, MVOI_TOPIC_HB, strlen(MVOI_TOPIC_HB));
    char monep[64];
    snprintf(monep, sizeof monep, "inproc://ctl-watch-mon-%d", (int)getpid());
    w.mon = zmq_socket(zctx, ZMQ_PAIR);
    zmq_setsockopt(w.mon, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_socket_monitor(w.sub, monep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0 ||
        zmq_connect(w.mon, monep) != 0) {
        ctl_fail(ctl, 0, "ctl.err.zmq_setup", zmq_strerror(zmq_errno()));
        zmq_close(w.mon);
        zmq_close(w.sub);
        ctl_dealer_close(&w.d);
        return CTL_EX_SOFTWARE;
    }
    if (mvoi_curve_client(w.sub, ctl_pub_endpoint("kpi")) != 0 ||
        zmq_connect(w.sub, ctl_pub_endpoint("kpi")) != 0) {
        ctl_fail(ctl, 0, "ctl.err.bad_endpoint", "kpi");
        ex = CTL_EX_USAGE;
        goto out;
    }
    /* The SUB's first connection is not a reconnection: wait for it (bounded) before the
     * snapshot, so that it does not cause a second one. Without it (no PUB yet) the later
     * handshake re-snapshots, which is right. */
    zmq_pollitem_t first[2] = { { w.mon, 0, ZMQ_POLLIN, 0 }, { w.d.mon, 0, ZMQ_POLLIN, 0 } };
    int fn = zmq_poll(first, w.d.mon ? 2 : 1, ctl->timeout_ms);
    if (fn > 0 && (ex = ctl_dealer_refused(ctl, "kpi", &w.d, &first[1])) != 0)
        goto out;   /* a refused key: named at once, not after the wait */
    if (fn > 0 && (first[0].revents & ZMQ_POLLIN))
        (void)s_watch_step(&w, 0, plen);
    if ((ex = s_snapshot(&w, ctl)) != 0)
        goto out;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = seconds > 0 ? ts.tv_sec + ts.tv_nsec / 1e9 + seconds : 0;
    while (!w.lost && !w.failed && !(w.count > 0 && w.changes >= w.count)) {
        int wait = 500;
        if (end) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            double left = end - (ts.tv_sec + ts.tv_nsec / 1e9);
            if (left <= 0)
                break;
            wait = left * 1000 < wait ? (int)(left * 1000) + 1 : wait;
        }
        const char *why = s_watch_step(&w, wait, plen);
        bool resnap = why != NULL;
        if (resnap) {
            ctl_fail(ctl, 0, "ctl.err.missed", (unsigned long long)w.seq, why);
            /* The aggregator may be restarting: keep asking while we are meant to run. */
            while ((ex = s_snapshot(&w, ctl)) == CTL_EX_UNAVAILABLE && !s_past(end))
                ;
            if (ex != 0)
                goto out;
        }
    }
out:
    if (w.failed)
        ex = w.failed;
    zmq_socket_monitor(w.sub, NULL, 0);
    zmq_close(w.mon);
    zmq_close(w.sub);
    ctl_dealer_close(&w.d);
    return ex;
}

const ctl_cmd_t ctl_kpi_cmds[] = {
    { "show", "[--year Y] [--quarter Q] [--raw] [--json]",
      "the six KPIs of the buyer: ambition, realisation, projects, target (kg or t, euros, "
      "counts; --raw: the integers in g, mg, cents)", s_show },
    { "watch", "[PREFIX] [--count N] [--seconds S] [--json]",
      "follow the live totals of the buyer (snapshot, then every change as a line; --json: "
      "a JSON object per line; --count N: N lines in all, snapshot included); "
      "PREFIX kpi.<buyer>.<kpi>.<year> narrows, kpi. shows every buyer", s_watch },
    { "pilots", "[--year Y] [--quarter Q] [--json]",
      "KPI 6 by status: the distinct pilots, each under the furthest stage it reported "
      "(gestart, lopend, afgerond)", ctl_kpi_pilots },
    { NULL },
};
