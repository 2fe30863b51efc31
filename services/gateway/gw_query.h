/*  gw_query: a request's query parameters -> a protobuf message, strictly.
 *
 *  Every parameter must be a scalar field of the message (or in `extra`, access_token or
 *  buyer);
 *  booleans are true/false/1/0, integers whole numbers (negative only for signed fields);
 *  the message itself is then built by pbjson with its limits. Pure: no connection, no
 *  reply, so the fuzzer (tests/fuzz) drives it with arbitrary parameters. */
#ifndef MVOI_GW_QUERY_H
#define MVOI_GW_QUERY_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#define GW_QUERY_MAX_ARGS 32

typedef struct {
    const char *key[GW_QUERY_MAX_ARGS];
    const char *val[GW_QUERY_MAX_ARGS];
    int n;
    int overflow;       /* more than GW_QUERY_MAX_ARGS were offered */
    int nul;            /* index + 1 of the first parameter whose key or value held a NUL
                         * (%00): a C string would silently end there */
} gw_query_args_t;

typedef struct {
    char detail[256];   /* for the problem's detail */
    char field[128];    /* the parameter or field path; "" when none */
} gw_query_error_t;

/* Adds one parameter (MHD_get_connection_values shape); 0, or -1 once full. */
int gw_query_add(gw_query_args_t *a, const char *key, const char *value);
/* The same with the decoded lengths (MHD_get_connection_values_n shape), so that a "%00"
 * that a C string would cut is seen; 0, or -1 once full. */
int gw_query_add_n(gw_query_args_t *a, const char *key, size_t key_len, const char *value,
                   size_t value_len);
/* Every parameter once, whole: 0, or -EINVAL with *err naming the parameter that is
 * repeated ("?year=2025&year=2024": which one counts would be a guess) or holds a NUL,
 * or saying there are too many. Every route runs it before its handler (gw_service.c). */
int gw_query_check(const gw_query_args_t *a, gw_query_error_t *err);
/* 0 and *out (NULL when desc is NULL: only checks that every parameter is in extra), or
 * -EINVAL with *err filled. */
int gw_query_decode(const gw_query_args_t *a, const ProtobufCMessageDescriptor *desc,
                    const char *const *extra, ProtobufCMessage **out, gw_query_error_t *err);

#endif
