/*  text: the message catalogue. See text.h; the entries are in messages.def. */
#include "text.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *key;
    const char *nl;
    const char *en;
} s_entry_t;

static const s_entry_t s_entries[] = {
#define MSG(key, nl, en) { key, nl, en },
#include "messages.def"
#undef MSG
};
#define S_COUNT ((int)(sizeof s_entries / sizeof s_entries[0]))

int text_lang_parse(const char *name, text_lang_t *out)
{
    if (!name)
        return -EINVAL;
    if (strncasecmp(name, "nl", 2) == 0 && (name[2] == 0 || name[2] == '-' || name[2] == '_')) {
        *out = TEXT_NL;
        return 0;
    }
    if (strncasecmp(name, "en", 2) == 0 && (name[2] == 0 || name[2] == '-' || name[2] == '_')) {
        *out = TEXT_EN;
        return 0;
    }
    return -EINVAL;
}

const char *text_lang_name(text_lang_t lang) { return lang == TEXT_EN ? "en" : "nl"; }

static int s_cmp(const void *a, const void *b)
{
    return strcmp(((const s_entry_t *)a)->key, ((const s_entry_t *)b)->key);
}

/* The catalogue is small; a sorted copy made once keeps lookups O(log n) without asking
 * contributors to keep messages.def sorted. Made under pthread_once: a service's worker
 * (the impact calculator's prep) may be the first to ask. */
static s_entry_t *s_sorted_v;

static void s_sort_once(void)
{
    s_entry_t *s = malloc(sizeof s_entries);
    if (!s)
        return;
    memcpy(s, s_entries, sizeof s_entries);
    qsort(s, S_COUNT, sizeof *s, s_cmp);
    s_sorted_v = s;
}

static const s_entry_t *s_sorted(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, s_sort_once);
    return s_sorted_v;
}

static const s_entry_t *s_find(const char *key)
{
    const s_entry_t *s = s_sorted();
    if (!s || !key)
        return NULL;
    s_entry_t k = { key, NULL, NULL };
    return bsearch(&k, s, S_COUNT, sizeof *s, s_cmp);
}

const char *text_get(text_lang_t lang, const char *key)
{
    const s_entry_t *e = s_find(key);
    if (!e)
        return key ? key : "";
    return lang == TEXT_EN ? e->en : e->nl;
}

bool text_has(const char *key) { return s_find(key) != NULL; }
int text_count(void) { return S_COUNT; }
const char *text_key(int i) { return i >= 0 && i < S_COUNT ? s_entries[i].key : NULL; }
const char *text_at(int i, text_lang_t lang)
{
    if (i < 0 || i >= S_COUNT)
        return NULL;
    return lang == TEXT_EN ? s_entries[i].en : s_entries[i].nl;
}
