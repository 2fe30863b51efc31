/*  mvoictl benchmark: where --buyer stands among the buyers of its class, per KPI and
 *  normalisation (common/bm), from one snapshot of the kpi-aggregator's totals; the share of
 *  tenders with an ambition per theme from every registered buyer's tenders in the calendar
 *  (ListTenders in each buyer's name), the ambition levels from the registry.
 *
 *    mvoictl [--buyer B] [--json] [--lang en] benchmark show [--year Y]
 *    mvoictl [--lang en] benchmark export [--csv]     the anonymous open data
 *
 *  The snapshot holds every buyer's totals (the aggregator's API is a service interface);
 *  what is printed is only what bm hands out: this buyer's own figures and distributions of
 *  at least k buyers (--k 5..1000, default 5, as the gateway's MVOI_GATEWAY_BENCH_K; less is
 *  refused with the reason), of one normalisation per KPI. The registry is MVOI_BUYERS_FILE
 *  (default: the shipped common/data/buyers.ini).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "bm_json.h"
#include "bm_tender.h"
#include "buyers.h"
#include "codec.h"
#include "ctl.h"

/* Every year total of all dimensions of the snapshot into b. 0 or an exit code. */
static int s_fill(ctl_t *ctl, bm_t *b)
{
    /* ctl_dealer_open: the CURVE client setup this DEALER once lacked, so that every
     * benchmark against a CURVE bus (the default) timed out as if the aggregator were down */
    ctl_dealer_t dl;
    int ex = ctl_dealer_open(ctl, "kpi", &dl);
    if (ex != CTL_EX_OK)
        return ex;
    ex = CTL_EX_UNAVAILABLE;
    void *d = dl.sock;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "kpi.";
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    char rid[64];
    ctl_request_id(rid, sizeof rid, "bench");
    env.request_id = rid;
    env.buyer = (char *)ctl->buyer;
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[512];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len < 0 || zmq_send(d, buf, (size_t)len, 0) < 0)
        goto out;
    for (;;) {
        zmq_pollitem_t it[2] = { { d, 0, ZMQ_POLLIN, 0 }, { dl.mon, 0, ZMQ_POLLIN, 0 } };
        int pn = zmq_poll(it, dl.mon ? 2 : 1, ctl->timeout_ms);
        if (pn > 0 && (ex = ctl_dealer_refused(ctl, "kpi", &dl, &it[1])) != 0)
            goto out;
        ex = CTL_EX_UNAVAILABLE;
        if (pn > 0 && !(it[0].revents & ZMQ_POLLIN))
            continue;   /* another monitor event: the wait goes on */
        if (pn <= 0) {
            ctl_fail(ctl, 0, "ctl.err.no_snapshot", dl.ep, ctl->timeout_ms);
            goto out;
        }
        zmq_msg_t m;
        int n = 0, more = 1;
        Mvoi__Envelope *e = NULL;
        while (more) {   /* [topic] [envelope] or [envelope]: the last frame is the body */
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, d, 0) < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            n++;
            if (!more) {
                int err = 0;
                e = codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), CODEC_DEFAULT_BUDGET, &err);
            }
            zmq_msg_close(&m);
        }
        if (!e)
            continue;
        int rc = -1;
        if (n == 2 && e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
            const Mvoi__KpiTotal *t = e->kpi_total;
            if (t->buyer && !t->quarter && !t->theme && !(t->purchasing_group && *t->purchasing_group)
                && !(t->tender_id && *t->tender_id))
                bm_set_total(b, t->buyer, (int)t->kpi, t->year, t->realisation, t->count);
        } else if (n == 1 && e->request_id && strcmp(e->request_id, rid) == 0) {
            rc = e->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END ? 0 : ctl_check_error(ctl, e);
            if (rc == 0 && e->body_case != MVOI__ENVELOPE__BODY_SNAPSHOT_END)
                rc = CTL_EX_SOFTWARE;
        }
        codec_free(&e);
        if (rc >= 0) {
            ex = rc;
            break;
        }
    }
out:
    ctl_dealer_close(&dl);
    return ex;
}

/* Every registered buyer's tenders (of a buyer with a class) into b's share measures. */
static int s_fill_tenders(ctl_t *ctl, bm_t *b)
{
    const mvoi_buyers_t *reg = bm_registry(b);
    for (size_t i = 0; i < mvoi_buyers_count(reg); i++) {
        const mvoi_buyer_t *by = mvoi_buyers_at(reg, i);
        if (bm_class_of(by) < 0)
            continue;
        bm_tcount_t count = { 0 };
        uint32_t offset = 0;
        for (;;) {
            Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
            q.has_limit = q.has_offset = true;
            q.limit = 1000;
            q.offset = offset;
            Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
            env.buyer = (char *)by->id;
            env.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
            env.list_tenders = &q;
            Mvoi__Envelope *r = NULL;
            int ex = ctl_call(ctl, "calendar", &env, &r);
            if (ex)
                return ex;
            if (r->body_case == MVOI__ENVELOPE__BODY_ERROR && r->error &&
                r->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND) {
                ctl_free(&r);   /* a buyer the calendar does not know: no tenders, no share */
                break;
            }
            if ((ex = ctl_check_error(ctl, r)) != 0 ||
                r->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST || !r->tender_list) {
                ctl_free(&r);
                return ex ? ex : CTL_EX_SOFTWARE;
            }
            for (size_t t = 0; t < r->tender_list->n_tenders; t++)
                bm_tcount_add(&count, r->tender_list->tenders[t]);
            uint32_t more = r->tender_list->next_offset;
            ctl_free(&r);
            if (more <= offset)
                break;
            offset = more;
        }
        if (bm_tcount_apply(b, by->id, &count) != 0)
            return CTL_EX_SOFTWARE;
    }
    return 0;
}

typedef struct {
    unsigned year, k;
    bool csv;
} s_opts_t;

static int s_parse(ctl_t *ctl, int argc, char **argv, s_opts_t *o)
{
    static const struct option opts[] = {
        { "year", required_argument, NULL, 'y' }, { "k", required_argument, NULL, 'k' },
        { "csv", no_argument, NULL, 'c' }, { NULL, 0, NULL, 0 },
    };
    /* this year in Dutch time, as every other verb's default: by UTC the first hour of
     * 1 January was still last year */
    *o = (s_opts_t){ .year = (unsigned)ctl_this_year(), .k = BM_K_DEFAULT, .csv = false };
    int c, ex = CTL_EX_OK;
    long v = 0;
    while (ex == CTL_EX_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'y' && (ex = ctl_opt_int(ctl, "year", optarg, 1900, 2999, &v)) == 0)
            o->year = (unsigned)v;
        else if (c == 'k' && (ctl_parse_int(optarg, BM_K_MIN, 1000, &v) != 0))
            ex = ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bench_k", optarg);   /* why, in it */
        else if (c == 'k')
            o->k = (unsigned)v;
        else if (c == 'c')
            o->csv = true;
        else if (c != 'y' && c != 'k')
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bench_arg");
    }
    if (ex != CTL_EX_OK)
        return ex;
    return optind < argc ? ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bench_arg") : 0;
}

/* the registry and the filled set, or an exit code */
static int s_load(ctl_t *ctl, const s_opts_t *o, mvoi_buyers_t **reg, bm_t **b)
{
    const char *path = getenv("MVOI_BUYERS_FILE");
    char err[320];
    *reg = mvoi_buyers_load(path && *path ? path : MVOI_BUYERS_FILE_SRC, false, err, sizeof err);
    if (!*reg)
        return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.bench_registry", err);
    if (!mvoi_buyers_find(*reg, ctl->buyer)) {
        mvoi_buyers_destroy(reg);
        return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.bench_buyer", ctl->buyer);
    }
    *b = bm_new(*reg, o->k);
    int ex = *b ? s_fill(ctl, *b) : CTL_EX_SOFTWARE;
    if (!ex && bm_load_levels(*b) != 0)
        ex = CTL_EX_SOFTWARE;
    if (!ex)
        ex = s_fill_tenders(ctl, *b);
    if (ex) {
        bm_destroy(b);
        mvoi_buyers_destroy(reg);
    }
    return ex;
}

/* s left-aligned in width columns: "per € mln inkoopvolume" is 22 characters but 24 bytes,
 * and printf's %-32s pads bytes, which put its figures two columns left of the others'. */
static void s_print_col(const char *s, int width)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        cols += (*p & 0xC0) != 0x80;    /* one column per UTF-8 lead byte */
    printf("%s%*s", s, cols < width ? width - cols : 0, "");
}

static void s_print_text(ctl_t *ctl, bm_t *b, unsigned year)
{
    char buf[512], num[64];
    const mvoi_buyer_t *me = mvoi_buyers_find(bm_registry(b), ctl->buyer);
    int cls = bm_class_of(me);
    printf("%s: %s, %u", ctl_text(ctl, "bench.title"), me->name, year);
    if (cls >= 0)
        printf(" (%s)", bm_class_label(cls, ctl->tl));
    printf("\n");
    for (int k = 1; k <= BM_MEASURES; k++) {
        char key[48];
        printf("\n%s\n", bm_kpi_label(k, ctl->tl, buf, sizeof buf));
        for (int n = 0; n < BM_NORMS; n++) {
            bm_pos_t p;
            if (!bm_kpi_has_norm(k, (bm_norm_t)n))
                continue;
            bm_position(b, ctl->buyer, k, year, (bm_norm_t)n, &p);
            snprintf(key, sizeof key, "bench.norm.%s", bm_norm_name((bm_norm_t)n));
            printf("  ");
            s_print_col(ctl_text(ctl, key), 32);
            if (p.status == BM_OK) {
                printf(" %s %s", ctl_text(ctl, "bench.col.value"), bm_num(p.value, ctl->tl, num, sizeof num));
                printf("  Q1 %s", bm_num(p.q1, ctl->tl, num, sizeof num));
                printf("  %s %s", ctl_text(ctl, "bench.col.median"), bm_num(p.median, ctl->tl, num, sizeof num));
                printf("  Q3 %s", bm_num(p.q3, ctl->tl, num, sizeof num));
                printf("  %s %s  %s %u\n", ctl_text(ctl, "bench.col.percentile"),
                       bm_num(p.percentile, ctl->tl, num, sizeof num),
                       ctl_text(ctl, "bench.col.count"), p.count);
            } else if (p.has_value) {   /* no distribution, but its own figure is its own */
                if (k >= BM_M_LEVEL(1))   /* a level is a whole number, as in the sentence */
                    snprintf(num, sizeof num, "%.0f", p.value);
                else
                    bm_num(p.value, ctl->tl, num, sizeof num);
                printf(" %s %s\n", ctl_text(ctl, "bench.col.value"), num);
            } else {
                printf("\n");
            }
            printf("    %s\n", bm_sentence(b, ctl->buyer, k, (bm_norm_t)n, &p, ctl->tl, buf,
                                            sizeof buf));
        }
    }
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    mvoi_buyers_t *reg = NULL;
    bm_t *b = NULL;
    int ex = s_parse(ctl, argc, argv, &o);
    if (ex || (ex = s_load(ctl, &o, &reg, &b)) != 0)
        return ex;
    if (ctl->json) {
        json_t *j = bm_json_buyer(b, ctl->buyer, o.year, ctl->tl);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        printf("\n");
        json_decref(j);
    } else {
        s_print_text(ctl, b, o.year);
    }
    bm_destroy(&b);
    mvoi_buyers_destroy(&reg);
    return 0;
}

static int s_export(ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    mvoi_buyers_t *reg = NULL;
    bm_t *b = NULL;
    int ex = s_parse(ctl, argc, argv, &o);
    if (ex || (ex = s_load(ctl, &o, &reg, &b)) != 0)
        return ex;
    if (o.csv) {
        size_t len = 0;
        char *csv = bm_csv_open_data(b, ctl->tl, &len);
        if (csv)
            fwrite(csv, 1, len, stdout);
        else {   /* no memory for the rows: no half export that looks whole */
            fprintf(stderr, "mvoictl: benchmark export: %s\n", strerror(ENOMEM));
            ex = CTL_EX_SOFTWARE;
        }
        free(csv);
    } else {
        json_t *j = bm_json_open_data(b, ctl->tl);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        printf("\n");
        json_decref(j);
    }
    bm_destroy(&b);
    mvoi_buyers_destroy(&reg);
    return ex;
}

const ctl_cmd_t ctl_benchmark_cmds[] = {
    { "show", "[--year Y] [--k K]",
      "where the buyer stands among the buyers of its kind and size, per KPI, share of "
      "tenders with an ambition and ambition level per theme", s_show },
    { "export", "[--csv] [--k K]",
      "the anonymous distributions as open data (JSON with definitions, or CSV)", s_export },
    { NULL },
};
