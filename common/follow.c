/*  follow: the Clone follower's state machine (follow.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "follow.h"

#define S_RETRY_UNSENT_MS 200      /* a request that could not be sent */
#define S_RETRY_FAILED_MS 500      /* no socket, or refused: give the publisher a moment */

const char *const follow_reasons[FOLLOW_REASONS] = {
    "gap", "behind", "epoch", "incarnation", "reconnect", "refused" };

struct follow_t {
    uint32_t stale_ms, snap_timeout_ms, snap_wait_ms;
    char publisher[64];
    const char *loading;           /* an English format of the catalogue (follow_opts_t) */
    char loading_arg[128];
    bool live;                     /* the first snapshot is in */
    bool resyncing;                /* a (new) snapshot is needed or under way */
    bool out;                      /* a snapshot request is out */
    bool fresh;
    uint64_t deadline;             /* the request out is late from then on */
    uint64_t next_try;             /* no request out: ask from then on */
    uint64_t epoch, incarnation;   /* of the last snapshot */
    uint64_t snapshots;
    uint64_t resyncs[FOLLOW_REASONS];
    textfmt_reason_t wr;           /* why not fresh, to be said in a reader's language */
    char why[300];                 /* the same in English, as logged (follow_why) */
};

void follow_beat_set(follow_beat_t *b, uint64_t now, uint64_t head, uint64_t epoch,
                     bool has_incarnation, uint64_t incarnation)
{
    /* 0 means "never": a heartbeat at the clock's origin still counts */
    b->at = now ? now : 1;
    b->head = head;
    b->epoch = epoch;
    b->has_incarnation = has_incarnation;
    b->incarnation = incarnation;
}

/* The reason not to be fresh (fmt NULL: none), kept for a reader and logged in English. */
static void s_why(follow_t *self, const char *fmt, const char *s, unsigned long long a,
                  unsigned long long b)
{
    textfmt_reason_set(&self->wr, fmt, s, a, b);
    textfmt_reason_log(&self->wr, self->why, sizeof self->why);
}

follow_t *follow_new(const follow_opts_t *o)
{
    follow_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->stale_ms = o && o->stale_ms ? o->stale_ms : 5000;
    self->snap_timeout_ms = o && o->snapshot_timeout_ms ? o->snapshot_timeout_ms : 5000;
    self->snap_wait_ms = o && o->snapshot_wait_ms > self->snap_timeout_ms ? o->snapshot_wait_ms
                                                                          : self->snap_timeout_ms;
    snprintf(self->publisher, sizeof self->publisher, "%s",
             o && o->publisher ? o->publisher : "publisher");
    self->loading = o && o->loading ? o->loading : "loading the snapshot";
    snprintf(self->loading_arg, sizeof self->loading_arg, "%s",
             o && o->loading_arg ? o->loading_arg : "");
    s_why(self, self->loading, self->loading_arg, 0, 0);
    self->resyncing = true;        /* a first snapshot is needed */
    return self;
}

void follow_destroy(follow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

/* ---------------------------------------------------------------- the snapshot */

void follow_snapshot_asked(follow_t *self, uint64_t now)
{
    self->resyncing = true;
    self->out = true;
    self->snapshots++;
    self->deadline = now + self->snap_wait_ms;   /* then per item: follow_snapshot_item */
}

void follow_snapshot_unsent(follow_t *self, uint64_t now)
{
    self->deadline = now + S_RETRY_UNSENT_MS;
}

void follow_snapshot_failed(follow_t *self, uint64_t now)
{
    self->resyncing = true;
    self->out = false;
    self->next_try = now + S_RETRY_FAILED_MS;
}

void follow_snapshot_item(follow_t *self, uint64_t now)
{
    self->deadline = now + self->snap_timeout_ms;
}

void follow_snapshot_refused(follow_t *self, uint64_t now)
{
    self->deadline = now + S_RETRY_FAILED_MS;
}

bool follow_snapshot_end(follow_t *self, uint64_t epoch, bool has_incarnation,
                         uint64_t incarnation)
{
    /* Another incarnation of the same epoch may be a store put back to an older copy: its
     * seqs count again from the copy's head, so "the totals above the old head" leaves out
     * every total it holds otherwise than the lost history did. */
    bool full = !self->live || epoch != self->epoch ||
                (has_incarnation && self->incarnation && incarnation != self->incarnation);
    self->epoch = epoch;
    self->incarnation = has_incarnation ? incarnation : 0;
    self->live = true;
    self->resyncing = false;
    self->out = false;
    return full;
}

bool follow_snapshot_out(const follow_t *self) { return self->out; }

follow_tick_t follow_tick(follow_t *self, uint64_t now)
{
    if (self->out)
        return now >= self->deadline ? FOLLOW_LATE : FOLLOW_WAIT;
    if ((!self->live || self->resyncing) && now >= self->next_try)
        return FOLLOW_RETRY;
    return FOLLOW_WAIT;
}

uint32_t follow_tick_ms(uint32_t stale_ms)
{
    uint32_t tick = (stale_ms ? stale_ms : 5000) / 4;
    return tick > 250 ? 250 : tick < 10 ? 10 : tick;
}

/* ---------------------------------------------------------------- the live stream */

void follow_resync(follow_t *self, follow_reason_t why)
{
    if ((unsigned)why < FOLLOW_REASONS)
        self->resyncs[why]++;
    self->resyncing = true;
}

int follow_heartbeat(const follow_t *self, const follow_beat_t *b, uint64_t head)
{
    if (!follow_settled(self))
        return -1;
    if (b->epoch != self->epoch)
        return FOLLOW_EPOCH;
    if (b->has_incarnation && self->incarnation && b->incarnation != self->incarnation)
        return FOLLOW_INCARNATION;
    /* Beyond our head: something was lost. (A heartbeat below it may be one queued before
     * the snapshot; a store that went back comes with a new incarnation.) */
    if (b->head > head)
        return FOLLOW_BEHIND;
    return -1;
}

int follow_update(const follow_t *self, uint64_t seq, uint64_t head)
{
    if (!self->live)
        return -1;
    return seq > head + 1 ? FOLLOW_GAP : -1;
}

/* ---------------------------------------------------------------- freshness */

bool follow_judge(follow_t *self, const follow_beat_t *b, uint64_t now, uint64_t head,
                  const textfmt_reason_t *hold)
{
    bool fresh = false;
    if (!self->live)
        s_why(self, self->loading, self->loading_arg, 0, 0);
    else if (self->resyncing)
        s_why(self, "catching up with the %s (new snapshot)", self->publisher, 0, 0);
    else if (hold && hold->fmt)
        s_why(self, hold->fmt, hold->s, hold->a, hold->b);
    else if (!b->at || now - b->at > self->stale_ms)
        s_why(self, "no heartbeat from the %s for %llu ms", self->publisher, self->stale_ms, 0);
    else if (b->head > head)
        s_why(self, "behind the %s (%llu < %llu)", self->publisher, head, b->head);
    else {
        s_why(self, NULL, NULL, 0, 0);
        fresh = true;
    }
    if (fresh == self->fresh)
        return false;
    self->fresh = fresh;
    return true;
}

bool follow_fresh(const follow_t *self) { return self->fresh; }
const char *follow_why(const follow_t *self) { return self->why; }

int follow_why_say(const follow_t *self, text_lang_t lang, char *buf, size_t len)
{
    return textfmt_reason_say(&self->wr, lang, "follow.", buf, len);
}
bool follow_live(const follow_t *self) { return self->live; }
bool follow_resyncing(const follow_t *self) { return self->resyncing; }
bool follow_settled(const follow_t *self) { return self->live && !self->resyncing; }
uint64_t follow_epoch(const follow_t *self) { return self->epoch; }
uint64_t follow_incarnation(const follow_t *self) { return self->incarnation; }
uint64_t follow_snapshots(const follow_t *self) { return self->snapshots; }

uint64_t follow_resyncs(const follow_t *self, follow_reason_t why)
{
    return (unsigned)why < FOLLOW_REASONS ? self->resyncs[why] : 0;
}

/* ---------------------------------------------------------------- one shared stream */

follow_stream_at_t follow_stream_event(follow_stream_t *s, uint64_t seq, uint64_t *gap_from)
{
    if (!seq)
        return FOLLOW_STREAM_OK;
    if (!s->known) {
        s->known = true;
        s->first = s->head = seq;
        return FOLLOW_STREAM_FIRST;
    }
    if (seq > s->head + 1) {
        if (gap_from)
            *gap_from = s->head + 1;
        s->first = s->head = seq;
        return FOLLOW_STREAM_GAP;
    }
    if (seq > s->head)
        s->head = seq;
    return FOLLOW_STREAM_OK;
}

bool follow_stream_beat(follow_stream_t *s, uint64_t head, uint64_t *from)
{
    if (!s->known || head <= s->head)
        return false;
    if (from)
        *from = s->head + 1;
    s->head = head;
    return true;
}

bool follow_stream_covers(const follow_stream_t *s, uint64_t seq)
{
    return !s->known || s->first <= seq + 1;
}

void follow_stream_reset(follow_stream_t *s) { s->known = false; }
