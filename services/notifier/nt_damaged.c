/*  nt_damaged: at every start, the reminder records that do not decode, and those an
 *  operator restored since one did not (nt_service_int.h).
 *
 *  A record that does not decode can be neither sent nor listed (nt_api.c refuses a list
 *  that would hold it). At start each one is logged (record_undecodable, naming its id),
 *  taken out of "due" and "sending" (so no tick and no restart spins on it) and counted:
 *  "n_undecodable" is set to the records that do not decode now, not added to, so that
 *  health's undecodable_records goes down once an operator has repaired them.
 *
 *  A record that decodes again (restored from a backup) is SCHEDULED or RETRYING without a
 *  due entry: it left "due" while it did not decode, and nothing else leaves an active
 *  record out of it (nt_store_put writes both). It is not made due again by itself: while
 *  it did not decode, every change of its tender's plan passed it by (nt_store_each_of_tender
 *  reads only what decodes), so it may stand for a session that moved, a tender that was
 *  cancelled or a version superseded by one already sent, and a backup may predate its
 *  delivery: sent by itself it could be a wrong or a second mail. It becomes a dead letter
 *  with that reason instead, counted and listed as one, for an operator to resend or
 *  cancel (services/notifier/README.md, "Damaged records"). */
#include "mvoi_contract.h"
#include "nt_service_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

/* Ids in the order "rem" gives them (its key order: memcmp, then length). */
typedef struct {
    MDB_val *v;
    size_t n, cap;
} s_ids_t;

static int s_ids_add(s_ids_t *l, const MDB_val *k)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        MDB_val *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    void *d = malloc(k->mv_size + 1);
    if (!d)
        return -ENOMEM;
    memcpy(d, k->mv_data, k->mv_size);
    ((char *)d)[k->mv_size] = 0;   /* an id as a string too */
    l->v[l->n++] = (MDB_val){ k->mv_size, d };
    return 0;
}

static void s_ids_free(s_ids_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].mv_data);
    free(l->v);
}

static int s_cmp(const void *a, const void *b)
{
    const MDB_val *x = a, *y = b;
    size_t n = x->mv_size < y->mv_size ? x->mv_size : y->mv_size;
    int c = memcmp(x->mv_data, y->mv_data, n);
    return c ? c : (x->mv_size > y->mv_size) - (x->mv_size < y->mv_size);
}

static void s_log_undecodable(const char *id)
{
    const char *kv[] = { "record", "reminder", "reminder.id", id, "error",
                         mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "record_undecodable", kv, "the stored reminder %s does not decode: "
             "its mail is not sent and a list that would hold it is refused; restore the "
             "record and restart the notifier", id);
}

/* Every record of "rem": the ones that do not decode into bad (logged), the active ones
 * without a due entry into restored. */
static int s_scan(nt_service_t *s, MDB_txn *txn, s_ids_t *bad, s_ids_t *restored)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, s->rem, &c);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Mvoi__Reminder *r = NULL;
        int urc = nt_store_unpack(&v, &r);
        if (urc == -EIO) {
            if ((urc = s_ids_add(bad, &k)) == 0)
                s_log_undecodable(bad->v[bad->n - 1].mv_data);
        } else if (urc == 0 && nt_store_active(r->state)) {
            urc = nt_store_has_due(s, txn, r);
            urc = urc == 0 ? s_ids_add(restored, &k) : urc == 1 ? 0 : urc;
        }
        if (r)
            mvoi__reminder__free_unpacked(r, NULL);
        if (urc) {   /* no memory: a good record is never taken for a damaged one */
            rc = urc;
            break;
        }
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The due and sending entries of the records in bad (sorted). */
static int s_unindex(nt_service_t *s, MDB_txn *txn, const s_ids_t *bad)
{
    if (!bad->n)
        return 0;
    for (size_t i = 0; i < bad->n; i++) {
        int rc = store_del(txn, s->sending, &bad->v[i], NULL);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, s->due, &c);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= 8)
            continue;
        MDB_val id = { k.mv_size - 8, (char *)k.mv_data + 8 };
        if (bsearch(&id, bad->v, bad->n, sizeof *bad->v, s_cmp) &&
            (rc = store_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_set_dead(nt_service_t *s, MDB_txn *txn, const char *id)
{
    Mvoi__Reminder *r = NULL;
    int rc = nt_store_get(s, txn, id, &r);
    if (rc)
        return rc;
    r->state = ST(DEAD);
    r->has_next_attempt_ms = false;
    nt_store_set_error(r, "restored after its record did not decode: not sent by itself, "
                       "since its tender's plan may have changed meanwhile; check it, then "
                       "resend or cancel it");
    if ((rc = nt_store_put(s, txn, r)) == 0)
        rc = nt_store_emit(s, txn, mvoi_topic_notify(MVOI_NOTIFY_DEAD), r);
    mvoi__reminder__free_unpacked(r, NULL);
    if (rc == 0) {
        const char *kv[] = { "reminder.id", id, NULL };
        log_emit(LOG_WARN, "reminder_restored", kv, "reminder %s decodes again but had left "
                 "the due index: a dead letter now, not sent by itself (mvoictl reminders "
                 "show, then resend or cancel)", id);
    }
    return rc;
}

int nt_damaged_start(nt_service_t *s, MDB_txn *txn)
{
    s_ids_t bad = { 0 }, restored = { 0 };
    int rc = s_scan(s, txn, &bad, &restored);
    if (rc == 0)
        rc = s_unindex(s, txn, &bad);
    for (size_t i = 0; rc == 0 && i < restored.n; i++)
        rc = s_set_dead(s, txn, restored.v[i].mv_data);
    if (rc == 0)
        rc = nt_count_undecodable_set(s, txn, bad.n);
    s_ids_free(&bad);
    s_ids_free(&restored);
    return rc;
}
