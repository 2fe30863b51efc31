/*  impact service: the snapshot its consumers rebuild from (docs/design.md#rebuild).
 *
 *  Every current, not withdrawn measurement as the ImpactEvent a consumer would have
 *  applied for it if it had seen it computed just now: kind COMPUTED, the current revision
 *  and its impact, the purchasing group; no previous (a consumer that rebuilds has
 *  forgotten everything derived from us first). The server reads the outbox head in the
 *  same read transaction, so the SnapshotEnd's seq is the state's.
 */
#include "service_int.h"

#include <string.h>

#include "codec.h"
#include "mvoi_error.h"
#include "store_undecodable.h"

#define IMPACT_SNAPSHOT_TOPIC "impact.computed"

static int s_item(server_req_t *req, const MDB_val *v)
{
    int rc = 0;
    Mvoi__MeasurementRecord *rec = (Mvoi__MeasurementRecord *) codec_unpack_stored(
        &mvoi__measurement_record__descriptor, NULL, v->mv_data, v->mv_size, &rc);
    if (!rec)   /* skipped, every consumer's totals would lack it: the snapshot is refused */
        return rc;   /* MVOI_E_UNDECODABLE, or -ENOMEM: no memory is no bad record */
    if (!rec->withdrawn && rec->measurement && rec->impact) {
        Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
        ie.has_kind = 1;
        ie.kind = MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED;
        ie.measurement = rec->measurement;
        ie.impact = rec->impact;
        ie.purchasing_group = rec->purchasing_group;
        Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
        ev.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
        ev.impact_event = &ie;
        ev.buyer = rec->measurement->buyer;
        ev.has_schema_version = 1;
        ev.schema_version = CODEC_SCHEMA_VERSION;
        ev.producer = IMPACT_PRODUCER;
        rc = server_snapshot_emit(req, IMPACT_SNAPSHOT_TOPIC, &ev);
    }
    mvoi__measurement_record__free_unpacked(rec, NULL);
    return rc < 0 ? rc : 0;   /* a full peer: fail the snapshot, the consumer asks again */
}

int impact_svc_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix)
{
    impact_svc_t *self = arg;
    if (prefix && *prefix && strncmp(IMPACT_SNAPSHOT_TOPIC, prefix, strlen(prefix)) != 0)
        return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->measurements, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        int r = s_item(req, &v);
        if (r != 0) {
            if (r == MVOI_E_UNDECODABLE)
                store_log_undecodable("measurement", k.mv_data, k.mv_size);
            mdb_cursor_close(cur);
            return r;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}
