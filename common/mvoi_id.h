/*  mvoi_id: the one rule for every identifier that enters the system, and bounded keys.
 *
 *  Ids become LMDB keys (joined with NUL separators), topic segments, file names, mail
 *  headers and iCalendar UIDs. So an id is checked once, where a request enters a service
 *  (server.c through mvoi_id_msg), and never truncated afterwards:
 *
 *    buyer        1..64 bytes of [a-z0-9_-], starting with a letter or digit
 *                 (a topic segment and a file name: no dots, no upper case)
 *    tender, measurement, request id
 *                 1..128 bytes of ASCII [A-Za-z0-9._:/|@+=~#-] (no NUL, no space, no
 *                 control character; names with accents belong in titles, not ids)
 *    reminder id  the same characters and '%' and an address's ('!$&'*?^`{}'), 1..256
 *                 bytes (it embeds buyer, tender id escaped with '%', and an address)
 *
 *  A violation is a named error: the field and what is wrong, never a guess.
 */
#ifndef MVOI_ID_H
#define MVOI_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MVOI_ID_BUYER = 0,
    MVOI_ID_TENDER,
    MVOI_ID_MEASUREMENT,
    MVOI_ID_REQUEST,
    MVOI_ID_REMINDER,
} mvoi_id_kind_t;

#define MVOI_ID_BUYER_MAX 64
#define MVOI_ID_MAX 128
#define MVOI_ID_REMINDER_MAX 256

/* Largest key of up to four ids joined with NUL separators. */
#define MVOI_ID_KEY_MAX (MVOI_ID_BUYER_MAX + 2 * MVOI_ID_MAX + MVOI_ID_REMINDER_MAX + 4)

/* Longest message mvoi_id_check writes (without the field name). */
#define MVOI_ID_WHY_MAX 96

/* The largest byte length of an id of this kind. */
size_t mvoi_id_max(mvoi_id_kind_t kind);
/* "buyer", "tender id", ... */
const char *mvoi_id_kind_name(mvoi_id_kind_t kind);

/* Why an id is refused: fmt is an English printf format taking a and b (size_t, as many
 * as it uses), a catalogue entry's English under "id.err." (mvoi_id_text.h says it in
 * the reader's language). */
typedef struct {
    const char *fmt;
    size_t a, b;
} mvoi_id_why_t;
/* 0 if valid, else -EINVAL with *w saying why (the checks of mvoi_id_check). */
int mvoi_id_why(mvoi_id_kind_t kind, const char *s, size_t len, mvoi_id_why_t *w);
/* snprintf of fmt (w->fmt or a translation of it) with w's arguments. */
int mvoi_id_why_format(char *buf, size_t cap, const char *fmt, const mvoi_id_why_t *w);

/* Check an id of `len` bytes (len, not strlen: a NUL inside is an error). 0 if valid, else
 * -EINVAL with `why` (cap bytes, may be NULL) saying what is wrong, e.g. "longer than 64
 * bytes", "contains a NUL byte", "is not valid UTF-8 at byte 3", "character 2 (U+0024) is
 * not allowed in an id" (characters counted from 1, as people and the tender rules count;
 * byte offsets from 0). */
int mvoi_id_check(mvoi_id_kind_t kind, const char *s, size_t len, char *why, size_t cap);
/* The same for a NUL-terminated string; NULL or "" is "missing". */
int mvoi_id_check_str(mvoi_id_kind_t kind, const char *s, char *why, size_t cap);

/* An e-mail address, the one rule where addresses enter (a tender's people, the notifier's
 * configuration): 3..254 bytes of valid UTF-8, one '@'; a local part of 1..64 bytes
 * without blanks, control characters or <>()[],;:"\ ; a domain of at least two
 * non-empty labels of letters, digits, '-' and UTF-8 (U-labels; a mail to them needs
 * SMTPUTF8, which the notifier's relay must offer). Deliverability is the mail server's
 * business. 0, or -EINVAL with *w saying why (an English format under "id.err."). */
#define MVOI_ADDRESS_MAX 254
int mvoi_id_address_why(const char *s, mvoi_id_why_t *w);

/* Valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) without NUL bytes:
 * returns len, or the offset of the first bad byte. */
size_t mvoi_utf8_valid_prefix(const uint8_t *s, size_t len);

/* Join n strings with NUL separators into buf (cap bytes): "a\0b\0c". Returns the key's
 * length, or 0 when it does not fit (nothing is cut). */
size_t mvoi_id_key(uint8_t *buf, size_t cap, int n, const char *const parts[]);
/* Convenience for two and three parts. */
size_t mvoi_id_key2(uint8_t *buf, size_t cap, const char *a, const char *b);
size_t mvoi_id_key3(uint8_t *buf, size_t cap, const char *a, const char *b, const char *c);

#endif
