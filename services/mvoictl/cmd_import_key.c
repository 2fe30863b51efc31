/*  cmd_import_key: an import whose key the service stopped taking half way (revoked from
 *  its registry after the handshake: PERMISSION_DENIED on "key" for every command after).
 *  The rows before were stored; the rows after were not. Each of those rows' refusal was
 *  "failed ... 65", the exit of a sheet to correct, and hid what was stored: the adviser
 *  could neither tell the key was the cause (77, as for a key refused at the handshake)
 *  nor where the file stopped being taken. Said once instead, with the count stored and
 *  the first row not stored; the imports are idempotent by id and content, so importing
 *  the same file again with a valid key stores exactly the rest. */
#include "cmd_import_key.h"

#include <stdio.h>

/* The key-refused row with the lowest key: the first the service did not take. */
static const ctl_import_row_t *s_first(const ctl_import_report_t *rep)
{
    const ctl_import_row_t *f = NULL;
    for (size_t i = 0; i < rep->n; i++)
        if (rep->rows[i].key_refused && (!f || rep->rows[i].key < f->key))
            f = &rep->rows[i];
    return f;
}

static size_t s_stored(const ctl_import_report_t *rep)
{
    return rep->created + rep->updated + rep->unchanged;
}

int ctl_import_key_say(const ctl_t *ctl, const ctl_import_report_t *rep, const char *service,
                       const char *key_word)
{
    const ctl_import_row_t *f = s_first(rep);
    if (!f)
        return 0;
    ctl_fail(ctl, 0, "ctl.import.key_revoked", service, s_stored(rep), rep->key_refused,
             ctl_text(ctl, key_word), f->key, f->id ? f->id : "?");
    return EX_NOPERM;
}

void ctl_import_key_json(const ctl_import_report_t *rep, FILE *out)
{
    const ctl_import_row_t *f = s_first(rep);
    if (!f)
        return;
    fprintf(out, ", \"key_refused\": {\"stored\": %zu, \"not_stored\": %zu, "
            "\"first_not_stored\": {\"row\": %zu, \"id\": ", s_stored(rep), rep->key_refused,
            f->key);
    ctl_json_str(out, f->id);
    fputs("}}", out);
}
