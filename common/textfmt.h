/*  textfmt: a message of the code, in the reader's language.
 *
 *  Refusals are written in the code as printf formats in English, where the check is (the
 *  compiler checks their conversions). The catalogue (messages.def) holds each such text
 *  under a key with its module's prefix ("impact.err.", "tender.err."): its English text
 *  is the code's format, character for character, its Dutch text the translation with the
 *  same conversions. textfmt finds the translation by the English text and formats it for
 *  the reader: integers of five digits and more grouped as the language writes them
 *  (12.500 / 12,500; years and small counts stay as they are), and an argument that is an
 *  ISO date (YYYY-MM-DD, valid) in words ("31 december 2026"), as mvoictl prints dates.
 *  A text without an entry is formatted in English: visible, never lost.
 */
#ifndef MVOI_TEXTFMT_H
#define MVOI_TEXTFMT_H

#include <stdarg.h>
#include <stddef.h>

#include "text.h"

/* A %s argument TEXTFMT_WORD "<key>" is shown as the catalogue's text of key in the
 * language: a value said in words (a tender's status: "gegund" / "awarded"). Such an
 * argument is for textfmt only (anything else would print the marker byte). */
#define TEXTFMT_WORD "\001"

/* The text in lang of the catalogue entry under prefix whose English text is en; en itself
 * when there is none (or en is NULL: ""). A linear look-up without state: safe on any
 * thread, meant for error paths. */
const char *textfmt_from_en(text_lang_t lang, const char *prefix, const char *en);

/* vsnprintf of fmt for a reader of lang (grouping, dates; see above). Conversions: %% and
 * d i u x X o c s f e g p with flags, width and precision as digits (no '*'), length hh h l
 * ll z j t. Returns the length written (buf always terminated when len > 0; cut, never
 * overflowed). */
int textfmt_vformat(char *buf, size_t len, text_lang_t lang, const char *fmt, va_list ap);

/* The reader's language a request states in its envelope (proto/envelope.proto, lang):
 * NULL or "" is Dutch, "nl" and "en" as written; anything else (a region, another case,
 * spaces, another language) is -EINVAL, to be refused by name (field "lang"), never
 * guessed. A body's own lang field (UpsertTenders.lang) is checked by its service and wins. */
int textfmt_env_lang(const char *lang, text_lang_t *out);

/* The first 16 bytes of a refused value, for a message that names it: cut at a
 * character's start (the text stays valid UTF-8), control characters as '?'. */
void textfmt_shown(const char *v, char out[17]);

/* A reason kept to be said later, to whichever reader asks, in their language (a state's
 * "why": a follower's staleness). fmt is an English format of the catalogue whose
 * conversions take, in this order, one string (s) and then numbers (%llu, at most two): a
 * format with a number names the string first; a format may take fewer. NULL fmt: no
 * reason. */
typedef struct {
    const char *fmt;
    char s[128];
    unsigned long long a, b;
} textfmt_reason_t;

/* Sets r (s NULL: ""; a string longer than r->s is cut at a character's start). */
void textfmt_reason_set(textfmt_reason_t *r, const char *en_fmt, const char *s,
                        unsigned long long a, unsigned long long b);
/* The reason in lang, from the catalogue entry under prefix (textfmt_vformat: numbers
 * grouped); "" for none. */
int textfmt_reason_say(const textfmt_reason_t *r, text_lang_t lang, const char *prefix,
                       char *buf, size_t len);
/* The reason in English as printf writes it (plain numbers): for logs. */
int textfmt_reason_log(const textfmt_reason_t *r, char *buf, size_t len);

/* textfmt_vformat of textfmt_from_en(lang, prefix, en_fmt). */
int textfmt_vtr(char *buf, size_t len, text_lang_t lang, const char *prefix, const char *en_fmt,
                va_list ap);
/* The same with its arguments: the compiler checks them against the English format. */
int textfmt_tr(char *buf, size_t len, text_lang_t lang, const char *prefix, const char *en_fmt,
               ...) __attribute__((format(printf, 5, 6)));

#endif
