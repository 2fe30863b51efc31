/*  server_publish: the one publish point (docs/design.md#publish-batches).
 *
 *  Whatever the commits of a loop turn appended to the outbox -- a batch of commands, a
 *  feed's batch, a timer's write -- goes out here, once, before the loop sleeps (the Redis
 *  model: persist, then publish in one before-sleep hook). Only committed events:
 *  outbox_publish reads up to the committed head, so an event of an open or aborted
 *  transaction is never seen.
 *
 *  With opts.publish_batch above 1, consecutive events of one topic go out as one message
 *  whose Envelope carries them as an EventBatch (at most publish_batch events and
 *  SERVER_BATCH_BYTES): only what this pass has, so nothing waits for a batch to fill. A
 *  lone event goes out as itself. A batch is sent before the pass ends, so a heartbeat
 *  (a timer, before the next pass) never names a head whose events are still held here.
 */
#include "server_int.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

static int s_send(server_t *self, const char *topic, size_t tlen, const void *env,
                  size_t len)
{
    bus_frame_t f[2] = { { topic, tlen }, { env, len } };
    /* A PUB socket drops at HWM instead of returning EAGAIN; consumers notice the gap and
     * replay from the outbox, so a lost live message is never a lost event. */
    int rc = bus_send(self->pub, f, 2);
    if (rc == 0)
        self->stats.messages++;
    return rc;
}

/* Sends what the batch holds: one event as itself, more as an EventBatch. */
static int s_flush(server_t *self)
{
    uint32_t n = codec_batch_count(self->batch);
    if (!n)
        return 0;
    codec_slice_t out = codec_batch_first(self->batch);
    int rc = 0;
    if (n > 1)
        rc = codec_batch_finish(self->batch, outbox_producer(self->opts.outbox),
                                outbox_epoch(self->opts.outbox), &out);
    if (rc == 0)
        rc = s_send(self, self->batch_topic, self->batch_tlen, out.data, out.len);
    codec_batch_clear(self->batch);
    return rc;
}

static int s_publish_one(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                         const void *env, size_t env_len)
{
    (void)seq;
    server_t *self = arg;
    self->stats.published++;
    if (!self->batch)
        return s_send(self, topic, topic_len, env, env_len);
    int rc = 0;
    if (topic_len > sizeof self->batch_topic) {   /* alone, after what came before it */
        if ((rc = s_flush(self)) == 0)
            rc = s_send(self, topic, topic_len, env, env_len);
        return rc;
    }
    uint32_t n = codec_batch_count(self->batch);
    bool same = n && topic_len == self->batch_tlen
                && memcmp(topic, self->batch_topic, topic_len) == 0;
    if (n && (!same || n >= self->opts.publish_batch))
        rc = s_flush(self);
    if (rc == 0 && (rc = codec_batch_add(self->batch, env, env_len)) == -ENOSPC
        && (rc = s_flush(self)) == 0)
        rc = codec_batch_add(self->batch, env, env_len);   /* a lone event always fits */
    if (rc < 0)
        return rc;
    if (codec_batch_count(self->batch) == 1) {   /* the batch's first: its topic */
        memcpy(self->batch_topic, topic, topic_len);
        self->batch_tlen = topic_len;
    }
    return 0;
}

int server_publish_init(server_t *self)
{
    if (self->opts.publish_batch <= 1 || !self->pub)
        return 0;
    self->batch = codec_batch_new(SERVER_BATCH_BYTES);
    return self->batch ? 0 : -ENOMEM;
}

void server_publish(server_t *self)
{
    if (!self->pub || !self->opts.outbox)
        return;
    int rc = outbox_publish(self->opts.outbox, s_publish_one, self);
    if (self->batch) {
        int frc = s_flush(self);
        if (rc == 0)
            rc = frc;
    }
    if (rc < 0 && rc != -EAGAIN) {
        const char *kv[] = { "error", mvoi_errname(rc), NULL };
        log_emit(LOG_WARN, "publish_failed", kv, "publishing events failed: %s",
                 mvoi_strerror(rc));
    }
}
