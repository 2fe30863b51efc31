/*  gw_jsonnul: where a JSON value holds a string with a NUL (gw_jsonnul.h). */
#include <stdio.h>
#include <string.h>
#include "gw_jsonnul.h"

typedef struct {
    char *path;
    size_t len;
    bool full;   /* a part did not fit: the path stays at the last whole part */
} s_path_t;

/* Appends one part; returns the length to go back to. A part that does not fit is not
 * written at all, so the path always names a real (enclosing) field. */
static size_t s_push(s_path_t *p, const char *key, size_t idx, bool is_key)
{
    size_t old = p->len;
    if (p->full)
        return old;
    char part[GW_JSONNUL_PATH_MAX];
    int n = is_key ? snprintf(part, sizeof part, "%s%s", old ? "." : "", key)
                   : snprintf(part, sizeof part, "[%zu]", idx);
    if (n < 0 || old + (size_t)n >= GW_JSONNUL_PATH_MAX) {
        p->full = true;
        return old;
    }
    memcpy(p->path + old, part, (size_t)n + 1);
    p->len = old + (size_t)n;
    return old;
}

static void s_pop(s_path_t *p, size_t old)
{
    if (!p->full) {
        p->len = old;
        p->path[old] = '\0';
    }
}

static bool s_find(const json_t *v, s_path_t *p)
{
    if (json_is_string(v))
        return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) {
            size_t old = s_push(p, NULL, i, false);
            if (s_find(e, p))
                return true;
            s_pop(p, old);
        }
        return false;
    }
    if (json_is_object(v)) {
        const char *k;
        size_t klen;
        json_t *e;
        json_object_keylen_foreach((json_t *)v, k, klen, e) {
            /* jansson refuses a NUL in a key when parsing; checked anyway, by length */
            size_t old = s_push(p, k, 0, true);
            if (memchr(k, '\0', klen) || s_find(e, p))
                return true;
            s_pop(p, old);
        }
    }
    return false;
}

bool gw_jsonnul_find(const json_t *v, char path[GW_JSONNUL_PATH_MAX])
{
    s_path_t p = { path, 0, false };
    path[0] = '\0';
    return s_find(v, &p);
}
