/*  kpi_migrate: data directories of the version before buyer scoping keep working.
 *
 *  That version keyed kpi_tenders and kpi_meas by the bare id and kpi_projects by
 *  tender \0 topic, so two buyers with the same ids shared records. Now every key starts
 *  with the buyer. A record of the old shape is recognised by its key (an id never holds a
 *  NUL, mvoi_id.h), so the migration needs no version marker and running it again changes
 *  nothing:
 *    kpi_tenders  id              -> buyer \0 id            (buyer from the stored Tender)
 *    kpi_meas     id              -> buyer \0 id            (buyer from the stored revision)
 *    kpi_projects tender \0 topic -> buyer \0 tender \0 topic (buyer: the topic's, of
 *                 either layout; kpi_migrate_layout.c then makes the topic buyer-first)
 *  A record whose buyer cannot be found is left as it is and logged (nothing is guessed);
 *  one that does not decode refuses the migration by name (s_undecodable).
 *  Once done, a marker (a key of kpi_breakdown that starts with NUL, so no buyer's prefix
 *  ever meets it) spares the next starts the scan of every record. */
#include "kpi_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"
#include "mvoi_topic.h"

typedef struct {
    uint8_t *key;
    size_t klen;
} s_move_t;

static size_t s_nuls(const MDB_val *k)
{
    size_t n = 0;
    for (size_t i = 0; i < k->mv_size; i++)
        n += ((const uint8_t *)k->mv_data)[i] == 0;
    return n;
}

/* The topic of an old project counter key (tender \0 topic), of either layout, parsed. */
static bool s_topic_buyer(const MDB_val *k, mvoi_topic_t *tp)
{
    const char *kb = k->mv_data;
    size_t lt = strnlen(kb, k->mv_size);
    if (lt + 1 >= k->mv_size || k->mv_size - lt - 1 >= KPI_KEY_MAX)
        return false;
    char topic[KPI_KEY_MAX], v2[KPI_KEY_MAX];
    memcpy(topic, kb + lt + 1, k->mv_size - lt - 1);
    topic[k->mv_size - lt - 1] = 0;
    if (mvoi_topic_parse(topic, tp) == 0)
        return tp->family == MVOI_TOPIC_KPI;
    return kpi_topic_from_v1(topic, strlen(topic), v2, sizeof v2) == 0 &&
           mvoi_topic_parse(v2, tp) == 0;
}

/* The buyer of an old record into buyer (cap bytes): 0; -ENOENT if it names none;
 * MVOI_E_UNDECODABLE if the stored tender or revision does not decode. */
static int s_buyer_of(int db, const MDB_val *k, const MDB_val *v, char *buyer, size_t cap)
{
    const char *b = NULL;
    Mvoi__Tender *t = NULL;
    Mvoi__ImpactEvent *ie = NULL;
    mvoi_topic_t tp;
    if (db == 0 && (t = mvoi__tender__unpack(NULL, v->mv_size, v->mv_data)))
        b = t->buyer;
    else if (db == 1 && (ie = mvoi__impact_event__unpack(NULL, v->mv_size, v->mv_data)))
        b = ie->measurement ? ie->measurement->buyer : NULL;
    else if (db == 2 && s_topic_buyer(k, &tp))
        b = tp.buyer;
    size_t bl = b ? strlen(b) : 0;
    int rc = db < 2 && !t && !ie ? MVOI_E_UNDECODABLE
           : b && bl < cap && mvoi_id_check(MVOI_ID_BUYER, b, bl, NULL, 0) == 0 ? 0 : -ENOENT;
    if (rc == 0) {
        memcpy(buyer, b, bl);
        buyer[bl] = 0;
    }
    if (t)
        mvoi__tender__free_unpacked(t, NULL);
    if (ie)
        mvoi__impact_event__free_unpacked(ie, NULL);
    return rc;
}

/* An old record that does not decode cannot be moved under its buyer's key: kept under
 * the bare one, with the marker set, it was never looked at again, while the totals still
 * held what it had added. The measurement's event delivered again (a rebuild from the
 * impact-calculator's snapshot delivers every measurement as it is) then found no stored
 * revision under buyer \0 id to take out first and was counted twice: 18,000 g and a count
 * of 2 for one measurement of 9,000 g, served as right. So the migration (and the start)
 * is refused by name until the record is repaired; the log names it by its old key. */
static int s_undecodable(int db, const MDB_val *k)
{
    char id[512];   /* an LMDB key (511 bytes at most) whole */
    int il = k->mv_size < sizeof id ? (int)k->mv_size : (int)sizeof id - 1;
    snprintf(id, sizeof id, "%.*s", il, (const char *)k->mv_data);
    const char *what = db == 0 ? "tender" : "measurement";
    const char *kv[] = { "record", what, "id", id, "error", mvoi_errname(MVOI_E_UNDECODABLE),
                         NULL };
    log_emit(LOG_ERROR, "record_undecodable", kv, "the stored %s %s of the layout before "
             "buyer scoping does not decode: the migration to buyer-scoped keys is refused "
             "until it is repaired (its buyer cannot be read, and left behind its next event "
             "would be counted twice in the totals)", what, id);
    return MVOI_E_UNDECODABLE;
}

/* Old-shape keys of one database, collected first: the database is not changed while a
 * cursor walks it. */
static int s_collect(MDB_txn *txn, MDB_dbi dbi, size_t old_nuls, s_move_t **out, size_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    size_t cap = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (s_nuls(&k) != old_nuls)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            s_move_t *nm = realloc(*out, cap * sizeof *nm);
            if (!nm) {
                rc = -ENOMEM;
                break;
            }
            *out = nm;
        }
        if (!((*out)[*n].key = malloc(k.mv_size))) {
            rc = -ENOMEM;
            break;
        }
        memcpy((*out)[*n].key, k.mv_data, k.mv_size);
        (*out)[(*n)++].klen = k.mv_size;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_move(MDB_txn *txn, MDB_dbi dbi, int db, const s_move_t *m, size_t *moved)
{
    MDB_val k = { m->klen, m->key }, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? 0 : rc;
    char buyer[MVOI_ID_BUYER_MAX + 1];
    uint8_t nk[KPI_KEY_MAX];
    rc = s_buyer_of(db, &k, &v, buyer, sizeof buyer);
    if (rc == MVOI_E_UNDECODABLE)
        return s_undecodable(db, &k);
    if (rc != 0 || m->klen + strlen(buyer) + 1 > sizeof nk) {
        log_warn("migrate_skipped", "a record of the old shape without a usable buyer kept");
        return 0;
    }
    size_t bl = strlen(buyer);
    memcpy(nk, buyer, bl);
    nk[bl] = 0;
    memcpy(nk + bl + 1, m->key, m->klen);
    /* The value's bytes belong to the map: copy before the delete may reuse its page. */
    void *val = malloc(v.mv_size ? v.mv_size : 1);
    if (!val)
        return -ENOMEM;
    memcpy(val, v.mv_data, v.mv_size);
    MDB_val nkv = { bl + 1 + m->klen, nk }, nv = { v.mv_size, val };
    rc = store_put(txn, dbi, &nkv, &nv, 0);
    if (rc == 0)
        rc = store_del(txn, dbi, &k, NULL);
    free(val);
    if (rc == 0)
        (*moved)++;
    return rc;
}

static const char s_marker[] = "\0mvoi:keys-scoped-by-buyer";

int kpi_migrate(kpi_t *self, MDB_txn *txn, size_t *moved)
{
    MDB_dbi dbis[3] = { self->tenders, self->meas, self->projects };
    size_t old_nuls[3] = { 0, 0, 1 };
    *moved = 0;
    MDB_val mk = { sizeof s_marker - 1, (void *)s_marker }, mv;
    int rc = mdb_get(txn, self->breakdown, &mk, &mv);
    if (rc == 0)
        return 0;      /* migrated before */
    if (rc != MDB_NOTFOUND)
        return rc;
    rc = 0;
    for (int db = 0; db < 3 && rc == 0; db++) {
        s_move_t *list = NULL;
        size_t n = 0;
        rc = s_collect(txn, dbis[db], old_nuls[db], &list, &n);
        for (size_t i = 0; i < n; i++) {
            if (rc == 0)
                rc = s_move(txn, dbis[db], db, &list[i], moved);
            free(list[i].key);
        }
        free(list);
    }
    self->cache_valid = false;
    if (rc == 0) {
        MDB_val one = { 1, "1" };
        rc = store_put(txn, self->breakdown, &mk, &one, 0);
    }
    return rc;
}
