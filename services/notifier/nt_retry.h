/*  nt_retry: exponential backoff with full jitter, Retry-After, and which failures are
 *  permanent (AWS Architecture Blog "Exponential Backoff And Jitter"; RFC 9110 10.2.3).
 */
#ifndef MVOI_NT_RETRY_H
#define MVOI_NT_RETRY_H

#include <stdbool.h>
#include <stdint.h>

/* The cap for attempt n (1-based): min(max_ms, base_ms * 2^(n-1)). */
int64_t nt_backoff_cap(int64_t base_ms, int64_t max_ms, unsigned attempt);
/* Full jitter: a uniform value in [0, cap] from rnd (any 64-bit random number); never
 * below min_ms (so that a hot loop cannot form). */
int64_t nt_backoff_delay(int64_t base_ms, int64_t max_ms, unsigned attempt, uint64_t rnd,
                         int64_t min_ms);

/* Retry-After value (delta-seconds or an HTTP-date, RFC 9110): the delay in ms from now_ms
 * (0 for a date in the past), or -1 when absent or malformed. */
int64_t nt_retry_after_parse(const char *value, int64_t now_ms);

/* Classification of an attempt's outcome. NT_UNCONFIRMED: the whole message went to the
 * SMTP server (end of DATA sent) and no answer to it came back: it may have been stored. */
typedef enum { NT_OK = 0, NT_TRANSIENT = 1, NT_PERMANENT = 2, NT_UNCONFIRMED = 3 } nt_outcome_t;
/* HTTP status: 2xx ok; 408, 425, 429 and 5xx transient; other 4xx (incl. 410) permanent. */
nt_outcome_t nt_http_outcome(long status);
/* SMTP reply code of a failed transaction: 4xx transient, 5xx permanent, 0 (no reply,
 * connection failure) transient. */
nt_outcome_t nt_smtp_outcome(long code);

#endif
