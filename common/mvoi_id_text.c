/*  mvoi_id_text: an id's refusal in the reader's language (mvoi_id_text.h). */
#include "mvoi_id_text.h"

#include <string.h>

#include "textfmt.h"

int mvoi_id_check_in(text_lang_t lang, mvoi_id_kind_t kind, const char *s, char *why,
                     size_t cap)
{
    mvoi_id_why_t w;
    int rc = mvoi_id_why(kind, s, s ? strlen(s) : 0, &w);
    if (rc != 0 && why && cap)   /* the translation has the English's conversions */
        mvoi_id_why_format(why, cap, textfmt_from_en(lang, "id.err.", w.fmt), &w);
    return rc;
}

const char *mvoi_id_kind_name_in(text_lang_t lang, mvoi_id_kind_t kind)
{
    return textfmt_from_en(lang, "id.kind.", mvoi_id_kind_name(kind));
}
