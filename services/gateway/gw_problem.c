/*  gw_problem: problem details (gw_problem.h). */
#include <string.h>
#include "gw_problem.h"

int gw_problem_status(Mvoi__ErrorCode code, bool upstream, bool content)
{
    switch (code) {
    case MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT: return upstream ? 422 : 400;
    case MVOI__ERROR_CODE__ERR_OUT_OF_RANGE: return 400;
    case MVOI__ERROR_CODE__ERR_NOT_FOUND: return 404;
    case MVOI__ERROR_CODE__ERR_ALREADY_EXISTS:
    case MVOI__ERROR_CODE__ERR_CONFLICT:
    case MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION: return 409;
    /* a service refusing the gateway's own credentials: not the client's to fix, and a 401
     * without the WWW-Authenticate it requires (RFC 9110 15.5.2) would tell it otherwise */
    case MVOI__ERROR_CODE__ERR_UNAUTHENTICATED: return upstream ? 502 : 401;
    case MVOI__ERROR_CODE__ERR_PERMISSION_DENIED: return 403;
    /* Over a bound, asked again the same is refused the same. With content (a batch, a
     * message) it is the content: 413 says "send less" (RFC 9110 15.5.14). Without (GET
     * /api/report, a sheet over Excel's limits) what was asked cannot be produced: 413
     * told the client to shrink a body it did not send; 422, a request refused as it is.
     * A passing shortage (memory, work under way) is ERR_UNAVAILABLE, 503 with
     * Retry-After: the code says which, never the message. */
    case MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED: return content ? 413 : 422;
    case MVOI__ERROR_CODE__ERR_UNAVAILABLE: return 503;
    /* a service that does not know a request the gateway routes (one older than the
     * gateway): the gateway's upstream failed, not a method the gateway lacks. 501 also
     * is heuristically cacheable (RFC 9110 15.1): a cache kept it after the upgrade. */
    case MVOI__ERROR_CODE__ERR_UNIMPLEMENTED: return 502;
    default: return 502;
    }
}

bool gw_problem_gateway_key(Mvoi__ErrorCode code, const char *field)
{
    return code == MVOI__ERROR_CODE__ERR_PERMISSION_DENIED && field && strcmp(field, "key") == 0;
}

int gw_problem_upstream_status(Mvoi__ErrorCode code, const char *field, bool content)
{
    return gw_problem_gateway_key(code, field) ? 502 : gw_problem_status(code, true, content);
}

unsigned gw_problem_retry_after(Mvoi__ErrorCode code)
{
    return code == MVOI__ERROR_CODE__ERR_UNAVAILABLE ? GW_PROBLEM_RETRY_AFTER_S : 0;
}

const char *gw_problem_slug(Mvoi__ErrorCode code)
{
    switch (code) {
    case MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT: return "invalid-argument";
    case MVOI__ERROR_CODE__ERR_OUT_OF_RANGE: return "out-of-range";
    case MVOI__ERROR_CODE__ERR_NOT_FOUND: return "not-found";
    case MVOI__ERROR_CODE__ERR_ALREADY_EXISTS: return "already-exists";
    case MVOI__ERROR_CODE__ERR_CONFLICT: return "conflict";
    case MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION: return "failed-precondition";
    case MVOI__ERROR_CODE__ERR_UNAUTHENTICATED: return "unauthenticated";
    case MVOI__ERROR_CODE__ERR_PERMISSION_DENIED: return "permission-denied";
    case MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED: return "too-large";
    case MVOI__ERROR_CODE__ERR_UNAVAILABLE: return "unavailable";
    case MVOI__ERROR_CODE__ERR_UNIMPLEMENTED: return "not-implemented";
    default: return "upstream-error";
    }
}

bool gw_problem_detail_public(Mvoi__ErrorCode code)
{
    return code != MVOI__ERROR_CODE__ERR_INTERNAL && code != MVOI__ERROR_CODE__ERR_DECODE &&
           code != MVOI__ERROR_CODE__ERR_UNSPECIFIED;
}

const char *gw_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

json_t *gw_problem_new(int status, const char *slug, const char *detail, const char *field)
{
    char type[96];
    snprintf(type, sizeof type, "urn:mvoi:problem:%s", slug ? slug : "error");
    json_t *o = json_pack("{s:s, s:s, s:i}", "type", type, "title", gw_http_reason(status),
                          "status", status);
    if (o && detail && *detail)
        json_object_set_new(o, "detail", json_string(detail));
    if (o && field && *field)
        json_object_set_new(o, "field", json_string(field));
    return o;
}

void gw_problem_field_strip(char *field, const char *body_name)
{
    size_t n = strlen(body_name);
    if (n && strncmp(field, body_name, n) == 0 && field[n] == '.')
        memmove(field, field + n + 1, strlen(field + n + 1) + 1);
}
