/*  e2e_snapshot: producer heads and the LMDB inbox cursors read from the data dir. See e2e.h. */
#include "e2e.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>

/* ================================================================ snapshot */

uint64_t e2e_head(const char *api, int timeout_ms)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *rep = NULL;
    uint64_t head = 0;
    if (h_request(api, &req, &rep, timeout_ms) == 0 && rep) {
        if (rep->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY)
            head = rep->health_reply->head_seq;
        mvoi__envelope__free_unpacked(rep, NULL);
    }
    return head;
}

typedef struct {
    const char *names[2];
    uint64_t seq[2];
} s_cursors_t;

static int s_read_cursors(void *t, void *arg)
{
    s_cursors_t *c = arg;
    MDB_dbi dbi;
    if (mdb_dbi_open(t, "inbox", 0, &dbi) != 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        if (!c->names[i])
            continue;
        MDB_val k = { strlen(c->names[i]), (void *)c->names[i] }, v;
        if (mdb_get(t, dbi, &k, &v) == 0 && v.mv_size >= 16) {
            const uint8_t *b = v.mv_data;
            uint64_t x = 0;
            for (int j = 8; j < 16; j++)
                x = (x << 8) | b[j];
            c->seq[i] = x;
        }
    }
    return 0;
}

void e2e_kpi_cursors(e2e_fleet_t *f, uint64_t *cal, uint64_t *imp)
{
    char path[256];
    snprintf(path, sizeof path, "%s/kpi-aggregator", f->dir);
    s_cursors_t c = { { "calendar", "impact" }, { 0, 0 } };
    h_lmdb_read(path, s_read_cursors, &c);
    *cal = c.seq[0];
    *imp = c.seq[1];
}

int e2e_wait_kpi_caught_up(e2e_fleet_t *f, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    uint64_t ch = e2e_head(f->capi, 5000), ih = e2e_head(f->iapi, 5000);
    for (;;) {
        uint64_t c, i;
        e2e_kpi_cursors(f, &c, &i);
        if (ch && ih && c >= ch && i >= ih)
            return 0;
        if (h_now_ms() >= end)
            return -ETIMEDOUT;
        h_sleep_ms(50);
    }
}

int e2e_wait_impact_knows_calendar(e2e_fleet_t *f, int timeout_ms)
{
    char path[256];
    snprintf(path, sizeof path, "%s/impact-calculator", f->dir);
    int64_t end = h_now_ms() + timeout_ms;
    uint64_t ch = e2e_head(f->capi, 5000);
    for (;;) {
        s_cursors_t c = { { "calendar", NULL }, { 0, 0 } };
        h_lmdb_read(path, s_read_cursors, &c);
        if (ch && c.seq[0] >= ch)
            return 0;
        if (h_now_ms() >= end)
            return -ETIMEDOUT;
        h_sleep_ms(20);
    }
}
