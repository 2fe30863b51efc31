/*  nt_migrate: data of the previous layout (keys by tender id only) rewritten at start, in
 *  the start-up transaction, once (nmeta "layout" = "2" afterwards):
 *  - db "tenders": tender id -> buyer NUL tender id. The kick-off UID the old version sent
 *    ("kickoff-<tender>@<domain>") is kept in the record, so updates and cancellations still
 *    reach the meeting that is in people's calendars; the attendees of that invitation are
 *    taken to be the tender's people now.
 *  - db "bytender": rebuilt as buyer NUL tender NUL id from every reminder.
 *  - reminders still to be sent (scheduled, retrying, in flight) were one record for all
 *    recipients: each becomes one record per recipient (same due time, kind, ordinal and
 *    version), the old record is cancelled ("migrated"). Sent, dead and cancelled records
 *    stay as they are (history, resendable).
 */
#include "nt_service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

typedef struct {
    char **v;
    size_t n, cap;
} s_keys_t;

static int s_collect(MDB_txn *txn, MDB_dbi dbi, s_keys_t *k)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    MDB_val key, v;
    for (rc = mdb_cursor_get(c, &key, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        if (k->n == k->cap) {
            size_t cap = k->cap ? k->cap * 2 : 64;
            char **p = realloc(k->v, cap * sizeof *p);
            if (!p) {
                mdb_cursor_close(c);
                return -ENOMEM;
            }
            k->v = p;
            k->cap = cap;
        }
        k->v[k->n] = malloc(key.mv_size + 1);
        if (!k->v[k->n]) {
            mdb_cursor_close(c);
            return -ENOMEM;
        }
        memcpy(k->v[k->n], key.mv_data, key.mv_size);
        k->v[k->n][key.mv_size] = 0;
        k->n++;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void s_keys_free(s_keys_t *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i]);
    free(k->v);
}

static int s_tenders(nt_service_t *s, MDB_txn *txn, size_t *moved)
{
    s_keys_t k = { 0 };
    int rc = s_collect(txn, s->tenders, &k);
    for (size_t i = 0; i < k.n && rc == 0; i++) {
        MDB_val key = { strlen(k.v[i]), k.v[i] }, v;
        if ((rc = mdb_get(txn, s->tenders, &key, &v)))
            break;
        Mvoi__NotifierTender *nt = mvoi__notifier_tender__unpack(NULL, v.mv_size, v.mv_data);
        if (!nt || !nt->tender || !nt->tender->id || (nt->has_layout && nt->layout >= 2)) {
            if (nt)
                mvoi__notifier_tender__free_unpacked(nt, NULL);
            continue;
        }
        char uid[400];
        snprintf(uid, sizeof uid, "kickoff-%s@%s", nt->tender->id,
                 nt_msg_domain(s->organizer.email));
        Mvoi__NotifierTender st = *nt;
        st.uid = uid;
        Mvoi__Person buf[3], *att[MAX_RCPT];
        st.n_attendees = nt_plan_attendees(s, nt->tender, buf, att, MAX_RCPT);
        st.attendees = att;
        st.has_layout = true;
        st.layout = 2;
        char fp[65];   /* the old fingerprint also hashed the recipients */
        nt_plan_fingerprint(nt->tender, fp, sizeof fp);
        if (st.meeting_fingerprint)
            st.meeting_fingerprint = fp;
        if ((rc = store_del(txn, s->tenders, &key, NULL)) == 0 &&
            (rc = nt_store_save_tender(s, txn, &st)) == 0)
            (*moved)++;
        mvoi__notifier_tender__free_unpacked(nt, NULL);
    }
    s_keys_free(&k);
    return rc;
}

/* An active old record: one record per recipient, the old one cancelled. */
static int s_split(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r)
{
    Mvoi__NotifierTender *nt = NULL;
    if (r->tender_id && *r->tender_id)
        nt_store_load_tender(s, txn, r->buyer, r->tender_id, &nt);
    const Mvoi__Tender *t = nt ? nt->tender : NULL;
    Mvoi__Person p[MAX_RCPT], *to[MAX_RCPT];
    size_t n = 0;
    for (size_t i = 0; i < r->n_recipients && n < MAX_RCPT; i++) {
        mvoi__person__init(&p[n]);
        p[n].email = r->recipients[i];
        const Mvoi__Person *known[] = { t ? t->project_leader : NULL,
                                        t ? t->budget_holder : NULL,
                                        t ? t->procurement_adviser : NULL };
        for (int j = 0; j < 3; j++)
            if (known[j] && known[j]->email && !strcasecmp(known[j]->email, p[n].email))
                p[n].name = known[j]->name;
        to[n] = &p[n];
        n++;
    }
    nt_plan_new_t c = { .t = t, .buyer = r->buyer, .kind = r->kind, .ordinal = r->ordinal,
                        .version = r->schedule_version, .due_ms = r->due_ms,
                        .meeting_start = r->has_meeting_start_ms ? r->meeting_start_ms : 0,
                        .meeting_end = r->meeting_end_ms, .now = r->created_ms,
                        .sequence = r->sequence, .uid = r->uid, .title = r->title,
                        .to = to, .n_to = n };
    int rc = nt_plan_create(s, txn, &c);
    if (!rc)
        rc = nt_store_cancel(s, txn, r, "migrated: one record per recipient");
    if (nt)
        mvoi__notifier_tender__free_unpacked(nt, NULL);
    return rc;
}

static int s_reminders(nt_service_t *s, MDB_txn *txn, size_t *split)
{
    int rc = store_drop(txn, s->bytender, 0);   /* rebuilt below with the buyer in front */
    s_keys_t k = { 0 };
    if (!rc)
        rc = s_collect(txn, s->rem, &k);
    for (size_t i = 0; i < k.n && rc == 0; i++) {
        Mvoi__Reminder *r = NULL;
        if ((rc = nt_store_get(s, txn, k.v[i], &r)))
            break;
        if (strcmp(r->channel ? r->channel : "", "webhook") != 0 &&
            (nt_store_active(r->state) || r->state == ST(SENDING))) {
            rc = s_split(s, txn, r);
            (*split)++;
        } else if (mvoi_id_check_str(MVOI_ID_REMINDER, k.v[i], NULL, 0) == 0) {
            rc = nt_store_put(s, txn, r);
        }   /* else stored again under a valid id by s_rekey, its indexes with it */
        mvoi__reminder__free_unpacked(r, NULL);
    }
    s_keys_free(&k);
    return rc;
}

/* The dead letter reports sent before name the old id: "former" NUL old id -> the id now
 * (mvoictl's former_id, nt_api), so a resend or cancel of it finds the record. The old id
 * begins with its buyer, and the record found answers only its buyer (s_visible). */
static int s_former(nt_service_t *s, MDB_txn *txn, const char *old_id, const char *id)
{
    char kb[511];
    size_t ol = strlen(old_id);
    if (7 + ol > sizeof kb) {   /* ids were stored up to 400 bytes: not met */
        const char *kv[] = { "reminder.id", id, NULL };
        log_emit(LOG_ERROR, "former_id_too_long", kv, "the id %s was stored under before "
                 "(%zu bytes) is too long to be kept for it", id, ol);
        return 0;
    }
    memcpy(kb, "former", 7);
    memcpy(kb + 7, old_id, ol);
    MDB_val k = { 7 + ol, kb }, v = { strlen(id), (void *)id };
    return store_put(txn, s->nmeta, &k, &v, 0);
}

int nt_migrate_former(nt_service_t *s, MDB_txn *txn, const char *former, char *id, size_t cap)
{
    char kb[511];
    size_t fl = strlen(former);
    if (7 + fl > sizeof kb)
        return MDB_NOTFOUND;   /* no such key can be stored (s_former) */
    memcpy(kb, "former", 7);
    memcpy(kb + 7, former, fl);
    MDB_val k = { 7 + fl, kb }, v;
    int rc = mdb_get(txn, s->nmeta, &k, &v);
    if (rc)
        return rc;
    if (v.mv_size >= cap)
        return -ENAMETOOLONG;
    memcpy(id, v.mv_data, v.mv_size);
    id[v.mv_size] = '\0';
    return 0;
}

/* A record stored under an id the door refuses (longer than MVOI_ID_REMINDER_MAX: up to
 * 400 bytes were stored; or an address that is not ASCII in it) could be neither resent
 * nor cancelled: it is stored again under the id it would be made with now
 * (nt_plan_record_id: the same message and recipient, so a plan made again finds it), its
 * state, history and Message-ID kept. */
static int s_rekey_one(nt_service_t *s, MDB_txn *txn, const char *old_id, size_t *moved)
{
    Mvoi__Reminder *r = NULL;
    int rc = nt_store_get(s, txn, old_id, &r);
    if (rc)
        return rc;
    char id[NT_STORE_ID_MAX + 1];
    if ((rc = nt_plan_record_id(r, id, sizeof id))) {
        const char *kv[] = { "reminder.id", old_id, NULL };
        log_emit(LOG_ERROR, "reminder_id_invalid", kv, "a stored reminder's id is no valid "
                 "reminder id and no other can be made for it: left as it is");
        mvoi__reminder__free_unpacked(r, NULL);
        return 0;
    }
    MDB_val k = { strlen(id), id }, v;
    bool taken = mdb_get(txn, s->rem, &k, &v) == 0;   /* the same copy, made again since */
    if ((rc = nt_store_del(s, txn, old_id)) == 0 && !taken) {
        char *was = r->id;
        r->id = id;
        rc = nt_store_put(s, txn, r);
        r->id = was;
        (*moved)++;
    }
    if (!rc)
        rc = s_former(s, txn, old_id, id);
    mvoi__reminder__free_unpacked(r, NULL);
    return rc;
}

static int s_rekey(nt_service_t *s, MDB_txn *txn)
{
    MDB_val mk = { 7, "ids_256" }, v;
    int rc = mdb_get(txn, s->nmeta, &mk, &v);
    if (rc != MDB_NOTFOUND)
        return rc;
    s_keys_t k = { 0 };
    rc = s_collect(txn, s->rem, &k);
    size_t moved = 0;
    for (size_t i = 0; i < k.n && rc == 0; i++)
        if (mvoi_id_check_str(MVOI_ID_REMINDER, k.v[i], NULL, 0))
            rc = s_rekey_one(s, txn, k.v[i], &moved);
    s_keys_free(&k);
    MDB_val one = { 1, "1" };
    if (!rc)
        rc = store_put(txn, s->nmeta, &mk, &one, 0);
    if (!rc && moved)
        log_info("migrated", "%zu reminders stored again under a valid id (at most %d "
                 "bytes, ASCII)", moved, MVOI_ID_REMINDER_MAX);
    return rc;
}

int nt_migrate(nt_service_t *s, MDB_txn *txn)
{
    MDB_val mk = { 6, "layout" }, v;
    int rc = mdb_get(txn, s->nmeta, &mk, &v);
    if (rc == 0 && v.mv_size == 1 && ((char *)v.mv_data)[0] == '2')
        return s_rekey(s, txn);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    size_t moved = 0, split = 0;
    if ((rc = s_tenders(s, txn, &moved)) || (rc = s_reminders(s, txn, &split)))
        return rc;
    MDB_val two = { 1, "2" };
    if ((rc = store_put(txn, s->nmeta, &mk, &two, 0)))
        return rc;
    if (moved || split)
        log_info("migrated", "notifier data moved to keys scoped by buyer: %zu tenders, "
                 "%zu pending reminders split per recipient", moved, split);
    return s_rekey(s, txn);
}
