/*  pbjson: generic, descriptor-driven conversion between protobuf-c messages and JSON.
 *
 *  Used by the gateway's JSON API, `mvoictl --json` and reports. It walks the
 *  ProtobufCMessageDescriptor, so every message of the contract (the proto/ directory) works
 *  without per-message code, and a new field shows up in JSON as soon as it is in the .proto.
 *
 *  JSON shape (encode) -- the decoder accepts exactly this, plus the leniencies listed below:
 *  - keys are the .proto field names as declared (snake_case); order is field-number order.
 *  - proto2 presence: an optional scalar/bytes appears only when its has_ flag is set; an
 *    optional string/message only when non-NULL (and not the field's default pointer, the
 *    same rule protobuf-c's packer uses). Required fields always appear.
 *  - repeated fields are arrays; empty ones are omitted unless PBJSON_EMIT_EMPTY.
 *  - oneof: only the arm named by the *_case member appears.
 *  - 32-bit integers and 64-bit integers are JSON integers (json_int_t is long long); a
 *    uint64/fixed64 above LLONG_MAX is a decimal string, because jansson cannot hold it.
 *  - enums: short lowercase name (see "Enum names"), or the number with PBJSON_ENUM_NUMBERS.
 *    A value the descriptor does not know (newer producer) is emitted as its number.
 *  - bytes: standard base64 with padding. bool: true/false.
 *  - float/double: JSON reals; NaN and +-Infinity have no JSON form and become null (which
 *    decodes as "absent", so a non-finite value does not survive a round trip).
 *  - unknown protobuf fields (n_unknown_fields) are not emitted: they have no name.
 *
 *  Enum names: the short name of a value is its .proto name with the enum's common prefix
 *  removed, lowercased. The common prefix is the longest run of whole "WORD_" segments shared
 *  by every value name of that enum, i.e. the longest common prefix cut back to its last '_'
 *  (and cut further if it would leave some name empty). Examples:
 *    Theme      THEME_UNSPECIFIED, THEME_KLIMAAT, ...         prefix "THEME_"  -> "klimaat"
 *    Commitment COMMIT_EIS ...                                  prefix "COMMIT_" -> "eis"
 *    Procedure  PROC_EUROPEES_OPENBAAR ...                      "europees_openbaar"
 *    RStrategy  R_UNSPECIFIED, R0_REFUSE, ..., R9_RECOVER share only "R", no whole word, so
 *               the prefix is empty and the names are used whole: "r3_reuse", "r_unspecified".
 *  Adding a value that breaks the shared prefix (e.g. "LEGACY_X" to Theme) would rename every
 *  value in JSON; name new values with the enum's prefix (the .proto convention anyway).
 *
 *  Decoding is strict, because it parses untrusted client input: unknown fields, wrong JSON
 *  types, out-of-range integers, fractional numbers for integers, unknown enum names, invalid
 *  base64, over-long strings/arrays and too deep nesting are errors that name the field by its
 *  dotted JSON path ("tender.themes[2].commitment"). Accepted leniencies, each for a reason:
 *  - JSON null for any field = field absent (many JSON tools write null for "no value").
 *  - 64-bit integers may be decimal strings ("12345678901234"): JS tooling quotes big numbers,
 *    and a uint64 above LLONG_MAX can only travel as a string.
 *  - a real with an integral value within +-2^53 (3.0) for an integer field: Python writes
 *    float-typed numbers that way. 1.5 is rejected.
 *  - enums as the short name or the full .proto name (both case-insensitive) or a number that
 *    is a declared value of the enum.
 *  - bytes in standard or URL-safe base64, padding optional.
 *  The result is built with malloc (protobuf-c's default allocator), so the caller frees it
 *  with protobuf_c_message_free_unpacked(msg, NULL) like any unpacked message.
 */
#ifndef MVOI_PBJSON_H
#define MVOI_PBJSON_H

#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* encode / dumps flags */
#define PBJSON_EMIT_EMPTY   (1 << 0)   /* emit empty repeated fields as [] */
#define PBJSON_ENUM_NUMBERS (1 << 1)   /* enums as numbers instead of short names */
#define PBJSON_PRETTY       (1 << 2)   /* pbjson_dumps: indented output, not compact */

/* decode limits (defaults; pbjson_decode_opts can lower or raise them) */
#define PBJSON_MAX_STRING (64u * 1024u)   /* bytes of a string; decoded bytes of a bytes field */
#define PBJSON_MAX_ARRAY  100000u         /* elements of one repeated field */
#define PBJSON_MAX_DEPTH  32u             /* message nesting levels, the top message is 1 */

typedef struct {
    char field[128];    /* dotted JSON path of the offending field; "" for the whole input */
    char message[256];  /* the reason, for humans (and for the Error reply's message) */
} pbjson_error_t;

/* Zero members mean the default limit. */
typedef struct {
    unsigned max_depth;
    size_t max_string;
    size_t max_array;
} pbjson_decode_opts_t;

/* Message -> new JSON object (caller json_decref's it). NULL with errno ENOMEM, or EINVAL for
 * a NULL message, or ELOOP when messages nest deeper than 64 (a cyclic hand-built message). */
json_t *pbjson_encode(const ProtobufCMessage *msg, int flags);

/* Message -> malloc'ed JSON text (compact unless PBJSON_PRETTY); free() it. NULL as above.
 * Assumes jansson's default allocator (json_set_alloc_funcs not used in mvoi). */
char *pbjson_dumps(const ProtobufCMessage *msg, int flags);

/* JSON object -> new message of type desc in *out. Returns 0, or on error sets *out = NULL,
 * frees everything built so far, fills *err (may be NULL) and returns:
 *   -EINVAL  malformed input (wrong type, unknown field, range, enum, base64, oneof ...)
 *   -E2BIG   a limit was exceeded (string, array, nesting depth)
 *   -ENOMEM  out of memory */
int pbjson_decode(const json_t *json, const ProtobufCMessageDescriptor *desc,
                  ProtobufCMessage **out, pbjson_error_t *err);
/* Same with explicit limits; opts may be NULL. */
int pbjson_decode_opts(const json_t *json, const ProtobufCMessageDescriptor *desc,
                       ProtobufCMessage **out, pbjson_error_t *err,
                       const pbjson_decode_opts_t *opts);

/* Short lowercase name of an enum value ("klimaat"); NULL if the value is not declared or
 * memory runs out. The string lives as long as the process (computed once per enum type,
 * thread-safe). */
const char *pbjson_enum_short(const ProtobufCEnumDescriptor *d, int value);

/* Parse a short name or a full .proto name (case-insensitive) into *value.
 * 0, -ENOENT if no value has that name, -EINVAL for NULL arguments, -ENOMEM. */
int pbjson_enum_parse(const ProtobufCEnumDescriptor *d, const char *name, int *value);

#endif
