/*  text: the one message catalogue of user-facing text (dashboard, e-mails, reports).
 *
 *  Dutch by default, English selectable. Every text has a key and both translations in
 *  messages.def (one MSG(key, nl, en) line each; keep keys grouped by service). Texts may
 *  contain printf conversions; both translations must use the same ones in the same order.
 */
#ifndef MVOI_TEXT_H
#define MVOI_TEXT_H

#include <stdbool.h>

typedef enum { TEXT_NL = 0, TEXT_EN = 1 } text_lang_t;

/* "nl" / "en" (also "nl-NL", "en-GB"...); -EINVAL for anything else. */
int text_lang_parse(const char *name, text_lang_t *out);
const char *text_lang_name(text_lang_t lang);

/* The text for key in lang; the key itself (never NULL) when unknown, so a missing entry
 * shows up as a visible key instead of a crash. */
const char *text_get(text_lang_t lang, const char *key);
bool text_has(const char *key);
/* Number of entries, and entry i's key (for completeness tests). */
int text_count(void);
const char *text_key(int i);
/* Entry i's text in lang (NULL out of range): a look-up without the sorted index, for
 * textfmt's search by English text. */
const char *text_at(int i, text_lang_t lang);

#endif
