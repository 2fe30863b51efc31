/*  fuzz_gateway_query: what a client puts in a request line and an Authorization header.
 *  Line 1 is a query string, split and unescaped as libmicrohttpd does (MHD_http_unescape)
 *  and decoded strictly into the message of one of the gateway's GET routes (gw_query);
 *  line 2 is an Authorization header value (gw_auth_bearer). */
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.pb-c.h"
#include "envelope.pb-c.h"
#include "gw_auth.h"
#include "gw_query.h"

static const ProtobufCMessageDescriptor *const s_desc[] = {
    &mvoi__list_tenders__descriptor, &mvoi__upcoming_tenders__descriptor,
    &mvoi__list_reminders__descriptor, &mvoi__list_measurements__descriptor,
    &mvoi__kpi_series_query__descriptor, NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);     /* byte 0 picks the route */
    s[size - 1] = '\0';
    char *hdr = strchr(s, '\n');
    if (hdr)
        *hdr++ = '\0';
    gw_query_args_t a = { .n = 0 };
    for (char *save = NULL, *p = strtok_r(s, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        if (eq)
            *eq++ = '\0';
        MHD_http_unescape(p);
        if (eq)
            MHD_http_unescape(eq);
        if (gw_query_add(&a, p, eq) < 0)
            break;
    }
    static const char *const extra[] = { "view", "prefix", NULL };
    ProtobufCMessage *m = NULL;
    gw_query_error_t e;
    if (gw_query_decode(&a, s_desc[data[0] % (sizeof s_desc / sizeof s_desc[0])], extra, &m,
                        &e) == 0 && m)
        protobuf_c_message_free_unpacked(m, NULL);
    if (hdr) {
        size_t len = 0;
        const char *tok = gw_auth_bearer(hdr, &len);
        if (tok && (tok < hdr || tok + len > hdr + strlen(hdr)))
            abort();          /* the token must lie inside the header */
    }
    free(s);
    return 0;
}
