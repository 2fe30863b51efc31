/*  codec_batch: the EventBatch writer and its in-place reader, each held to protobuf-c on
 *  the same bytes (the writer's message is what protobuf-c packs for an Envelope with that
 *  producer, epoch and events; the reader yields exactly protobuf-c's elements), the
 *  writer's bounds, and every shape the reader must refuse. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* Event i, packed by protobuf-c: a TestEvent of seq i with n = i * 1000. */
static size_t s_event(uint8_t *buf, size_t cap, uint64_t i)
{
    Mvoi__TestEvent t = MVOI__TEST_EVENT__INIT;
    t.has_n = 1;
    t.n = i * 1000;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.producer = "impact";
    e.has_seq = e.has_epoch = 1;
    e.seq = i;
    e.epoch = 77;
    e.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
    e.test_event = &t;
    size_t n = mvoi__envelope__get_packed_size(&e);
    cr_assert_leq(n, cap);
    return mvoi__envelope__pack(&e, buf);
}

Test(codec_batch, what_it_writes_is_what_protobuf_c_packs_and_reads_back_in_order)
{
    codec_batch_t *b = codec_batch_new(1 << 16);
    uint8_t ev[5][128];
    size_t evl[5];
    ProtobufCBinaryData items[5];
    for (int i = 0; i < 5; i++) {
        evl[i] = s_event(ev[i], sizeof ev[i], (uint64_t)i + 1);
        items[i] = (ProtobufCBinaryData){ evl[i], ev[i] };
        cr_assert_eq(codec_batch_add(b, ev[i], evl[i]), 0);
    }
    cr_assert_eq(codec_batch_count(b), 5);
    codec_slice_t first = codec_batch_first(b);
    cr_assert_eq(first.len, evl[0]);
    cr_assert_eq(memcmp(first.data, ev[0], evl[0]), 0);
    codec_slice_t out;
    cr_assert_eq(codec_batch_finish(b, "impact", 77, &out), 0);

    Mvoi__EventBatch eb = MVOI__EVENT_BATCH__INIT;
    eb.n_events = 5;
    eb.events = items;
    Mvoi__Envelope want = MVOI__ENVELOPE__INIT;
    want.has_schema_version = want.has_epoch = 1;
    want.schema_version = CODEC_SCHEMA_VERSION;
    want.producer = "impact";
    want.epoch = 77;
    want.body_case = MVOI__ENVELOPE__BODY_EVENT_BATCH;
    want.event_batch = &eb;
    uint8_t wb[1024];
    size_t wl = mvoi__envelope__pack(&want, wb);
    cr_assert_eq(out.len, wl);
    cr_assert_eq(memcmp(out.data, wb, wl), 0, "not protobuf-c's bytes for the same batch");

    codec_slice_t body, e;
    cr_assert_eq(codec_batch_open(out.data, out.len, &body), 1);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(codec_batch_next(&body, &e), 1);
        cr_assert_eq(e.len, evl[i]);
        cr_assert_eq(memcmp(e.data, ev[i], evl[i]), 0, "event %d differs", i + 1);
    }
    cr_assert_eq(codec_batch_next(&body, &e), 0);
    cr_assert_eq(codec_batch_next(&body, &e), 0, "the end stays the end");

    /* cleared, the writer starts over in the same buffer */
    codec_batch_clear(b);
    cr_assert_eq(codec_batch_count(b), 0);
    cr_assert_eq(codec_batch_add(b, ev[4], evl[4]), 0);
    cr_assert_eq(codec_batch_finish(b, "impact", 77, &out), 0);
    cr_assert_eq(codec_batch_open(out.data, out.len, &body), 1);
    cr_assert_eq(codec_batch_next(&body, &e), 1);
    cr_assert_eq(memcmp(e.data, ev[4], evl[4]), 0);
    codec_batch_destroy(&b);
    cr_assert_null(b);
}

Test(codec_batch, a_single_event_is_not_a_batch)
{
    uint8_t ev[128];
    size_t n = s_event(ev, sizeof ev, 9);
    codec_slice_t body;
    cr_assert_eq(codec_batch_open(ev, n, &body), 0);
    cr_assert_eq(codec_batch_open(ev, 0, &body), 0, "an empty Envelope is not a batch");
}

Test(codec_batch, bounds_a_full_batch_a_lone_big_event_a_long_producer)
{
    codec_batch_t *b = codec_batch_new(300);
    uint8_t ev[128], big[2000];
    size_t n = s_event(ev, sizeof ev, 1);
    uint32_t k = 0;
    int rc;
    while ((rc = codec_batch_add(b, ev, n)) == 0)
        k++;
    cr_assert_eq(rc, -ENOSPC);
    /* each event takes n + 2 bytes (tag, one-byte length): as many as fit in 300 */
    cr_assert_eq(k, 300 / (n + 2), "%u events held", k);
    codec_batch_clear(b);
    memset(big, 0xab, sizeof big);
    cr_assert_eq(codec_batch_add(b, big, sizeof big), 0, "a lone event always fits");
    cr_assert_eq(codec_batch_add(b, ev, n), -ENOSPC);
    char producer[CODEC_BATCH_PRODUCER_MAX + 2];
    memset(producer, 'p', sizeof producer - 1);
    producer[sizeof producer - 1] = 0;
    codec_slice_t out;
    cr_assert_eq(codec_batch_finish(b, producer, 1, &out), -ENAMETOOLONG);
    producer[CODEC_BATCH_PRODUCER_MAX] = 0;
    cr_assert_eq(codec_batch_finish(b, producer, 1, &out), 0, "the longest producer fits");
    codec_slice_t body, e;
    cr_assert_eq(codec_batch_open(out.data, out.len, &body), 1);
    cr_assert_eq(codec_batch_next(&body, &e), 1);
    cr_assert_eq(e.len, sizeof big);
    codec_batch_destroy(&b);
}

Test(codec_batch, malformed_batches_are_refused)
{
    codec_slice_t body, e;
    /* the arm given twice (protobuf-c would merge them) */
    const uint8_t twice[] = { 0xea, 0x01, 0x00, 0xea, 0x01, 0x00 };
    cr_assert_eq(codec_batch_open(twice, sizeof twice, &body), -1);
    /* the arm as a varint: not a message */
    const uint8_t varint[] = { 0xe8, 0x01, 0x05 };
    cr_assert_eq(codec_batch_open(varint, sizeof varint, &body), -1);
    /* the arm's length runs past the end */
    const uint8_t cut[] = { 0xea, 0x01, 0x09, 0x0a, 0x01 };
    cr_assert_eq(codec_batch_open(cut, sizeof cut, &body), -1);
    /* an element's length runs past the batch */
    const uint8_t elem_cut[] = { 0xea, 0x01, 0x03, 0x0a, 0x05, 0x00 };
    cr_assert_eq(codec_batch_open(elem_cut, sizeof elem_cut, &body), 1);
    cr_assert_eq(codec_batch_next(&body, &e), -1);
    /* events as a varint */
    const uint8_t elem_num[] = { 0xea, 0x01, 0x02, 0x08, 0x01 };
    cr_assert_eq(codec_batch_open(elem_num, sizeof elem_num, &body), 1);
    cr_assert_eq(codec_batch_next(&body, &e), -1);
    /* a field added later is skipped, the events around it are read */
    const uint8_t later[] = { 0xea, 0x01, 0x07, 0x0a, 0x01, 0x41, 0x10, 0x07, 0x0a, 0x00 };
    cr_assert_eq(codec_batch_open(later, sizeof later, &body), 1);
    cr_assert_eq(codec_batch_next(&body, &e), 1);
    cr_assert_eq(e.len, 1);
    cr_assert_eq(e.data[0], 0x41);
    cr_assert_eq(codec_batch_next(&body, &e), 1);
    cr_assert_eq(e.len, 0);
    cr_assert_eq(codec_batch_next(&body, &e), 0);
}
