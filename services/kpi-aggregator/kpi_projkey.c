/*  kpi_projkey: the key of a project counter, buyer \0 tender \0 <topic after kpi.<buyer>.>.
 *
 *  The counter is the buyer's and the tender's already by the first two parts of its key;
 *  the topic's own "kpi.<buyer>." would repeat the buyer in every one of millions of keys
 *  (the largest database of a store of many buyers), so it is left out and put back when
 *  the total is named (kpi_tender.c). Counters of the tender dimension are not kept at all:
 *  a tender's count in its own tender total is, contribution for contribution, its count in
 *  the all-dimensions total of the same KPI and window (every project contribution feeds
 *  both), so that one counter answers for both totals (kpi_add.c, kpi_tender.c). */
#include "kpi_int.h"

#include <errno.h>
#include <string.h>

#include "mvoi_topic.h"

/* The length of "kpi.<encoded buyer>." at the start of topic, 0 if it does not start so. */
static size_t s_buyer_part(const char *topic, const char *buyer)
{
    char pre[MVOI_TOPIC_SEG_MAX + 8];
    if (mvoi_topic_kpi_buyer_prefix(pre, sizeof pre, buyer) != 0)
        return 0;
    size_t n = strlen(pre);
    return strncmp(topic, pre, n) == 0 ? n : 0;
}

size_t kpi_project_key(uint8_t *buf, size_t cap, const char *buyer, const char *tender,
                       const char *topic)
{
    size_t skip = s_buyer_part(topic, buyer);
    if (!skip)
        return 0;
    return mvoi_id_key3(buf, cap, buyer, tender, topic + skip);
}

int kpi_project_topic(const char *buyer, const char *rest, size_t n, char *out, size_t cap)
{
    if (mvoi_topic_kpi_buyer_prefix(out, cap, buyer) != 0)
        return -ENAMETOOLONG;
    size_t l = strlen(out);
    if (l + n + 1 > cap)
        return -ENAMETOOLONG;
    memcpy(out + l, rest, n);
    out[l + n] = 0;
    mvoi_topic_t tp;
    return mvoi_topic_parse(out, &tp) == 0 ? 0 : -EINVAL;
}

/* One counter (rest: its key after buyer \0 tender \0): its total, and for an
 * all-dimensions total the tender's own total of the same KPI and window. */
static int s_each_total(const char *buyer, const char *id, const char *rest, size_t n,
                        kpi_project_fn *fn, void *arg)
{
    char key[KPI_KEY_MAX];
    mvoi_topic_t tp;
    if (kpi_project_topic(buyer, rest, n, key, sizeof key) != 0 ||
        mvoi_topic_parse(key, &tp) != 0)
        return 0;   /* not a counter this version writes */
    int rc = fn(arg, key, &tp);
    if (rc != 0 || tp.theme || tp.group[0] || tp.tender[0])
        return rc;
    if (mvoi_topic_kpi(key, sizeof key, tp.kpi, tp.year, tp.quarter, buyer, 0, NULL, id) != 0 ||
        mvoi_topic_parse(key, &tp) != 0)
        return 0;
    return fn(arg, key, &tp);
}

int kpi_project_each(kpi_t *self, MDB_txn *txn, const char *buyer, const char *id,
                     kpi_project_fn *fn, void *arg)
{
    uint8_t pre[MVOI_ID_KEY_MAX];
    size_t li = mvoi_id_key3(pre, sizeof pre, buyer, id, "");   /* buyer \0 id \0 */
    if (!li)
        return 0;
    li--;   /* li + 1: the prefix with its final NUL */
    /* The counters this batch changed are still in the working set: write them first. */
    int rc = kpi_work_sync_projects(self, txn);
    if (rc != 0)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, self->projects, &cur)) != 0)
        return rc;
    MDB_val k = { li + 1, pre }, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > li + 1 && memcmp(k.mv_data, pre, li + 1) == 0) {
        int64_t c = v.mv_size == 8 ? store_get_be64s(v.mv_data) : 0;
        int r = c > 0 ? s_each_total(buyer, id, (char *)k.mv_data + li + 1,
                                     k.mv_size - li - 1, fn, arg) : 0;
        if (r != 0) {
            mdb_cursor_close(cur);
            return r;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}
