/*  gwt: helpers for the gateway's integration tests and benchmark: the fake kpi-aggregator
 *  and gateway as real processes, plain HTTP/1.0 requests over a socket, an SSE client that
 *  keeps the totals it was sent, and a direct snapshot of the fake's state. */
#ifndef MVOI_GWT_H
#define MVOI_GWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "harness.h"

typedef struct {
    char dir[256];
    char api[300], pub[300], cal[300], imp[300], ntf[300];   /* ipc:// in dir */
    int http_port;
    h_proc_t fake, gw;
    bool fake_up, gw_up;
} gwt_env_t;

/* Token texts used by tests, and the tokens file written into the env's dir. */
#define GWT_TOKEN_READER "reader-secret-1"
#define GWT_TOKEN_SUBMIT "submitter-secret-2"
#define GWT_TOKEN_ADMIN "admin-secret-3"
/* for heerlen only (the three above: buyers=*) */
#define GWT_TOKEN_HRL_SUBMIT "hrl-submitter-secret-4"
#define GWT_TOKEN_HRL_ADMIN "hrl-admin-secret-5"
/* the tokens file is <dir>/tokens; a test may rewrite it and send SIGHUP */
void gwt_sha256_hex(const char *s, char out[65]);
/* more arguments for the next gwt_start's fake (e.g. "--venlo 1"); NULL: none */
extern const char *gwt_fake_args;

/* Start the fake (with calendar/impact/notifier ROUTERs) and the gateway; extra env for the
 * gateway (NULL-terminated "K=V", may be NULL). 0 or negative. */
int gwt_start(gwt_env_t *e, const char *const *gw_env);
int gwt_start_gateway(gwt_env_t *e, const char *const *gw_env);
void gwt_stop(gwt_env_t *e);
/* Wait until GET /readyz answers 200. */
int gwt_wait_ready(gwt_env_t *e, int timeout_ms);

typedef struct {
    int status;
    char ctype[128];
    char location[256];
    char www_auth[128];
    char retry_after[32];   /* "" when the response has none */
    char *body;        /* NUL-terminated, malloc'ed */
    size_t len;
} gwt_resp_t;

/* One request: method, path, extra header lines ("K: V\r\n..." or NULL), body (or NULL). */
int gwt_http(int port, const char *method, const char *path, const char *headers,
             const char *body, size_t body_len, gwt_resp_t *out, int timeout_ms);
void gwt_resp_free(gwt_resp_t *r);
/* Bytes as they are (a request no helper would build: overlong, odd headers): what came back
 * until the peer closed, timeout_ms passed, or until (if not NULL) appeared in it. A malloc'ed
 * NUL-terminated string (free it), NULL when the connection failed. */
char *gwt_raw(int port, const char *req, size_t len, int timeout_ms, const char *until);
/* Parse the body as JSON (NULL if it is not). */
json_t *gwt_json(const gwt_resp_t *r);

/* SSE client */
typedef struct gwt_sse_t gwt_sse_t;
gwt_sse_t *gwt_sse_open(int port, const char *last_event_id);
/* Read events for up to timeout_ms or until stop_seq is reached (0: no stop) or max_events
 * were handled (0: no limit). Returns events handled, or -1 when the stream ended. */
long gwt_sse_read(gwt_sse_t *s, int timeout_ms, uint64_t stop_seq, long max_events);
void gwt_sse_close(gwt_sse_t *s);        /* cut: the state stays */
int gwt_sse_reopen(gwt_sse_t *s, int port);   /* with Last-Event-ID = last id */
uint64_t gwt_sse_last_id(gwt_sse_t *s);     /* the seq of the last id */
const char *gwt_sse_last_raw(gwt_sse_t *s);  /* the last id as sent, "<epoch>-<seq>" */
long gwt_sse_snapshots(gwt_sse_t *s);
long gwt_sse_updates(gwt_sse_t *s);
/* key -> "realisation:seq" map as a JSON object (new reference). */
json_t *gwt_sse_state(gwt_sse_t *s);
void gwt_sse_free(gwt_sse_t *s);

/* The fake's own totals (the truth), same shape as gwt_sse_state; *seq gets the snapshot seq. */
json_t *gwt_fake_state(const char *api, uint64_t *seq);
/* Ask the fake to publish count updates at rate/s (0 = flat out). Returns the seq the last
 * one will carry, or 0 on failure. */
uint64_t gwt_fake_generate(const char *api, uint32_t count, uint32_t rate);

#endif
