/*  wire_lean: decode an ImpactEvent envelope without building what its consumer never reads.
 *
 *  The kpi-aggregator reads a few fields of each ImpactEvent, but protobuf-c built all of
 *  it (the factor references, the measurement's kind with its quantities) in two passes,
 *  an allocation per string and message and an init per message: 35 % of the aggregator's
 *  CPU. wire_lean_unpack reads the bytes once, driven by the same protobuf-c descriptors:
 *
 *  - it ACCEPTS AND REFUSES EXACTLY WHAT codec_unpack_in DOES, with the same named errors:
 *    every field of every message is checked as protobuf-c 1.4 checks it (tag, wire type
 *    against the field's type, varint and length bounds, packed arrays), at any depth;
 *  - it BUILDS (in the arena) the envelope's header fields and its ImpactEvent with its
 *    Measurement, Impact and PilotStatus messages, with the values protobuf-c would give;
 *    it does NOT build repeated fields (Impact.factors stays empty), unknown fields, or a
 *    message of another type (Measurement.kind other than pilot: kind_case stays NOT_SET).
 *
 *  Whatever it would not reproduce exactly goes to codec_unpack_in instead: an envelope
 *  whose body is not an ImpactEvent, a message field or oneof given twice in one message
 *  (protobuf-c merges or replaces those), a field numbered 0, nesting beyond 64, and input
 *  large enough that protobuf-c's allocations could reach the budget. Consumers that need
 *  the whole message use codec_unpack_in.
 */
#ifndef MVOI_WIRE_LEAN_H
#define MVOI_WIRE_LEAN_H

#include <stddef.h>

#include "arena.h"
#include "envelope.pb-c.h"

/* codec_unpack_in's contract (codec.h): NULL and *err -EMSGSIZE, -EPROTO, -ENOMSG or
 * -ENOMEM; the message lives until arena_reset(arena). */
Mvoi__Envelope *wire_lean_unpack(arena_t *arena, const void *data, size_t len,
                                 size_t budget, int *err);

/* How many decodes went to codec_unpack_in (tests and benchmarks watch the fast path). */
unsigned long wire_lean_fallbacks(void);

#endif
