/* cal_str: the few string helpers the calendar modules share (UTF-8 checks, ASCII case
 * folding, owned-string assignment). Kept local to the calendar so its core has no
 * dependency beyond protobuf-c, jansson and libcsv. */
#ifndef CAL_STR_H
#define CAL_STR_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool cal_utf8_valid(const char *s, size_t len);
/* The offset of the first byte of s[0..len) that starts no well-formed UTF-8 character
 * (the same rules), or len when there is none: where a refusal can point. */
size_t cal_utf8_bad(const char *s, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t cal_utf8_len(const char *s);

/* Replace *slot by a heap copy of v (NULL or "" leaves NULL). Frees the old value with
 * free(), so *slot must be NULL or heap-owned (protobuf-c's default allocator).
 * Returns 0 or -ENOMEM. */
int cal_str_set(char **slot, const char *v);

/* Case-insensitive (ASCII) equality and substring search; NULL never matches. */
bool cal_str_ieq(const char *a, const char *b);
bool cal_str_icontains(const char *hay, const char *needle);

/* True when s is NULL or "". */
static inline bool cal_str_empty(const char *s) { return !s || !*s; }

/* Copy at most dst_size-1 bytes and terminate; never splits a UTF-8 sequence. */
void cal_str_copy(char *dst, size_t dst_size, const char *src);

/* Trim ASCII whitespace in place at both ends; returns s. */
char *cal_str_trim(char *s);

#endif
