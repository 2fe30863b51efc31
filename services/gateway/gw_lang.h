/*  gw_lang: the language of one HTTP request (RFC 9110 §12.5.4 content negotiation).
 *
 *  An explicit ?lang= (nl, en; a region such as en-GB is its language) wins; an unknown
 *  value is refused by name (400, field "lang"), never guessed. Otherwise Accept-Language:
 *  each language the catalogue has gets the highest q of the ranges whose primary subtag
 *  names it ("en-GB" and "en-US;q=0.5" both ask for en), else the q of "*"; q=0 excludes.
 *  The highest q wins, a tie goes to the range listed first (then the gateway's default).
 *  A header that does not parse, or asks for no language the catalogue has, gets the
 *  gateway's default: a client is never refused (or answered 500) for its header.
 *  The language goes upstream as Envelope.lang and chooses the gateway's own texts.
 */
#ifndef MVOI_GW_LANG_H
#define MVOI_GW_LANG_H

#include <stdbool.h>
#include "text.h"

/* The language header (NULL: none) asks for, dflt when it asks for none of ours or does not
 * parse. *malformed (may be NULL) says whether it did not parse. */
text_lang_t gw_lang_accept(const char *header, text_lang_t dflt, bool *malformed);

#endif
