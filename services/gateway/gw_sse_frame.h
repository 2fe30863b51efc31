/*  gw_sse_frame: one Server-Sent Event as bytes, formatted once for every client (pure: the
 *  streams themselves are gw_sse.h). */
#ifndef MVOI_GW_SSE_FRAME_H
#define MVOI_GW_SSE_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Format one event: "id: <id>\nevent: <event>\ndata: <data>\n\n" (id omitted when 0). */
int gw_sse_format(char **out, size_t *len, uint64_t id, const char *event, const char *data,
                  size_t data_len);

#endif
