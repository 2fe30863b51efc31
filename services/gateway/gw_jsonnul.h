/*  gw_jsonnul: where a JSON value holds a string with a NUL in it.
 *
 *  The gateway parses request bodies with JSON_ALLOW_NUL so that "\u0000" is not a parse
 *  error without a name: every string is then looked at here, and the first one holding a
 *  NUL is refused by its path. Without this a C string would end at the NUL and the rest of
 *  the text would be dropped while the request is answered as a success.
 */
#ifndef MVOI_GW_JSONNUL_H
#define MVOI_GW_JSONNUL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Room for a path; a deeper one is named by its longest leading part that fits. */
#define GW_JSONNUL_PATH_MAX 256

/* true when a string in v (at any depth, also an object key) contains a NUL; path gets its
 * dotted path as pbjson names fields ("measurements[1].id", "" for v itself). */
bool gw_jsonnul_find(const json_t *v, char path[GW_JSONNUL_PATH_MAX]);

#endif
