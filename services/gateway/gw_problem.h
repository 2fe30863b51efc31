/*  gw_problem: RFC 9457 problem details and the mapping of mvoi error codes to HTTP.
 *
 *    ERR_INVALID_ARGUMENT     400 (the gateway's own JSON/query checks) / 422 (a service
 *                             rejected well-formed input, e.g. an unknown theme for a tender)
 *    ERR_OUT_OF_RANGE         400
 *    ERR_NOT_FOUND            404
 *    ERR_ALREADY_EXISTS       409     ERR_CONFLICT 409     ERR_FAILED_PRECONDITION 409
 *    ERR_UNAUTHENTICATED      401 (the gateway's) / 502 (a service refused the gateway's
 *                             credentials: the client cannot fix that, and a 401 needs a
 *                             WWW-Authenticate challenge, RFC 9110 15.5.2)
 *    ERR_PERMISSION_DENIED    403 (the token may not: a buyer's field, "buyer", a body's buyer)
 *                             / 502 on the field "key": the service refused the gateway's own
 *                             CURVE key (revoked, or none), the gateway's configuration
 *    ERR_RESOURCE_EXHAUSTED   413 (the request's content is over a bound: sent again, refused
 *                             again; a passing shortage is ERR_UNAVAILABLE) / 422 (a request
 *                             without content whose result is over a bound: a report too
 *                             large for its format)
 *    ERR_UNAVAILABLE          503 with Retry-After (gw_problem_retry_after): out of memory,
 *                             a store or a peer away; asking again later may succeed
 *    ERR_UNIMPLEMENTED        502 (a service older than the gateway: its upstream failed)
 *    ERR_INTERNAL, ERR_DECODE 502 with a generic detail: no internals leave the gateway.
 *  Body: {"type":"urn:mvoi:problem:<slug>","title":..,"status":..,"detail":..,"field":..}
 *  served as application/problem+json.
 */
#ifndef MVOI_GW_PROBLEM_H
#define MVOI_GW_PROBLEM_H

#include <stdbool.h>
#include <jansson.h>
#include "system.pb-c.h"

/* upstream: the code came from a service (INVALID_ARGUMENT -> 422), else from the gateway;
 * content: the request had content (RESOURCE_EXHAUSTED -> 413, else 422). */
int gw_problem_status(Mvoi__ErrorCode code, bool upstream, bool content);
const char *gw_problem_slug(Mvoi__ErrorCode code);
/* A service's refusal of the gateway's own key, told by what the service says: code
 * PERMISSION_DENIED on the field "key" (common/server_auth.c, the report's rp_ids_auth: the
 * connection's key is no longer in the registry, or carries none). The gateway's token
 * checks go before anything is sent; a service's refusal on "buyer" or a body's buyer field
 * is about the request's buyer, the client's: 403. */
bool gw_problem_gateway_key(Mvoi__ErrorCode code, const char *field);
#define GW_PROBLEM_GATEWAY_KEY_SLUG "gateway-key-refused"
/* The status of a service's refusal with code on field: 502 for gw_problem_gateway_key
 * (not the client's to fix: the gateway's configured key), else gw_problem_status. */
int gw_problem_upstream_status(Mvoi__ErrorCode code, const char *field, bool content);
/* Seconds for the Retry-After of a service's refusal with this code (RFC 9110 10.2.3); 0:
 * none (asking again the same would be refused the same). */
#define GW_PROBLEM_RETRY_AFTER_S 2u
unsigned gw_problem_retry_after(Mvoi__ErrorCode code);
const char *gw_http_reason(int status);
/* Does a service's message for this code reach the client? (not for internal errors) */
bool gw_problem_detail_public(Mvoi__ErrorCode code);

/* New problem object; field/detail may be NULL. */
json_t *gw_problem_new(int status, const char *slug, const char *detail, const char *field);
/* Strip a service's leading "<body_name>." from a field path ("register_tender.tender.x"
 * -> "tender.x"), in place. */
void gw_problem_field_strip(char *field, const char *body_name);

#endif
