/*  mvoi_id_text: an id's refusal in the reader's language.
 *
 *  mvoi_id checks ids on every request and stays free of the catalogue; its reasons are
 *  English formats (mvoi_id_why_t) that the catalogue has under "id.err.", and the kinds'
 *  names under "id.kind.". Where a person reads the refusal (mvoictl's flags and imported
 *  rows), this says it in their language.
 */
#ifndef MVOI_ID_TEXT_H
#define MVOI_ID_TEXT_H

#include <stddef.h>

#include "mvoi_id.h"
#include "text.h"

/* mvoi_id_check_str with `why` in lang. */
int mvoi_id_check_in(text_lang_t lang, mvoi_id_kind_t kind, const char *s, char *why,
                     size_t cap);
/* mvoi_id_kind_name in lang: "inkoper", "aanbestedingskenmerk", ... */
const char *mvoi_id_kind_name_in(text_lang_t lang, mvoi_id_kind_t kind);

#endif
