/*  nt_people: the people the configuration names ("Name <address>" or an address) and each
 *  buyer's organizer (ORGANIZER, From: and the UID's domain of its invitations). */
#include "nt_service_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *s_trim_dup(const char *a, const char *b)
{
    while (a < b && (*a == ' ' || *a == '\t' || *a == '"'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '"'))
        b--;
    return strndup(a, (size_t)(b - a));
}

/* An address: one '@', no blanks, no angle brackets, no control characters. */
static bool s_address_ok(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';')
            return false;
    return true;
}

static int s_parse_n(const char *s, size_t len, nt_who_t *out, bool may_be_empty)
{
    out->name = out->email = NULL;
    const char *end = s + len;
    const char *lt = memchr(s, '<', len);
    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        if (!gt)
            return -EINVAL;
        out->email = s_trim_dup(lt + 1, gt);
        char *name = s_trim_dup(s, lt);
        if (name && *name)
            out->name = name;
        else
            free(name);
    } else {
        out->email = s_trim_dup(s, end);
    }
    if (!out->email)
        return -ENOMEM;
    if (!*out->email && may_be_empty && !out->name)
        return 0;
    if (!s_address_ok(out->email)) {
        nt_people_free(out);
        return -EINVAL;
    }
    return 0;
}

int nt_people_parse(const char *s, nt_who_t *out, bool may_be_empty)
{
    return s_parse_n(s ? s : "", s ? strlen(s) : 0, out, may_be_empty);
}

int nt_people_orgs(const char *s, nt_org_t *orgs, int max, int *n)
{
    *n = 0;
    while (s && *s) {
        const char *semi = strchr(s, ';');
        const char *end = semi ? semi : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq || eq == s || *n == max)
            return -EINVAL;
        nt_org_t *o = &orgs[*n];
        o->buyer = s_trim_dup(s, eq);
        if (!o->buyer || !*o->buyer || s_parse_n(eq + 1, (size_t)(end - eq - 1), &o->who, false)) {
            free(o->buyer);
            o->buyer = NULL;
            return -EINVAL;
        }
        (*n)++;
        s = semi ? semi + 1 : end;
    }
    return 0;
}

void nt_people_free(nt_who_t *w)
{
    free(w->name);
    free(w->email);
    w->name = w->email = NULL;
}

const nt_who_t *nt_people_organizer(const nt_service_t *s, const char *buyer)
{
    for (int i = 0; buyer && i < s->norgs; i++)
        if (strcmp(s->orgs[i].buyer, buyer) == 0)
            return &s->orgs[i].who;
    return &s->organizer;
}
