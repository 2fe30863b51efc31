/*  nt_people: the people the configuration names ("Name <address>" or an address) and each
 *  buyer's organizer (ORGANIZER, From: and the UID's domain of its invitations). */
#include "nt_service_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static char *s_trim_dup(const char *a, const char *b)
{
    while (a < b && (*a == ' ' || *a == '\t' || *a == '"'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '"'))
        b--;
    return strndup(a, (size_t)(b - a));
}

/* An address by the one rule (mvoi_id_address_why, as a tender's people at the calendar's
 * door): this one only checked for an '@' and a few characters, so a configured address
 * of bytes that are not UTF-8 went to the relay as they were. A refusal is logged with
 * why (not the address: it may not be UTF-8); the start's error names the setting. */
static bool s_address_ok(const char *e)
{
    mvoi_id_why_t w;
    if (mvoi_id_address_why(e, &w) == 0)
        return true;
    char why[MVOI_ID_WHY_MAX + 64];
    mvoi_id_why_format(why, sizeof why, w.fmt, &w);
    const char *kv[] = { "error", why, NULL };
    log_emit(LOG_ERROR, "address_refused", kv, "a configured address is refused: %s", why);
    return false;
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

int nt_people_registry(nt_service_t *s, char *why, size_t whylen)
{
    size_t n = s->buyers ? mvoi_buyers_count(s->buyers) : 0;
    s->reg_orgs = n ? calloc(n, sizeof *s->reg_orgs) : NULL;
    if (n && !s->reg_orgs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(s->buyers, i);
        if (!b->organizer[0])
            continue;
        nt_org_t *o = &s->reg_orgs[s->nreg_orgs];
        if (s_parse_n(b->organizer, strlen(b->organizer), &o->who, false)) {
            snprintf(why, whylen, "buyers_file: [%s] organizer must be \"Name <address>\" or an "
                     "address", b->id);
            return -EINVAL;
        }
        if (!(o->buyer = strdup(b->id))) {
            nt_people_free(&o->who);
            return -ENOMEM;
        }
        s->nreg_orgs++;
    }
    /* The old per-buyer setting: kept working for buyers the registry gives no organizer
     * (with a warning), refused where it names an unknown buyer or contradicts the registry. */
    for (int i = 0; i < s->norgs; i++) {
        const nt_org_t *o = &s->orgs[i];
        if (s->buyers && !mvoi_buyers_accepts(s->buyers, o->buyer)) {
            snprintf(why, whylen, "buyer_organizers: '%.64s' is not in the buyer registry "
                     "(MVOI_BUYERS_FILE)", o->buyer);
            return -EINVAL;
        }
        const nt_org_t *r = NULL;
        for (int j = 0; j < s->nreg_orgs && !r; j++)
            if (strcmp(s->reg_orgs[j].buyer, o->buyer) == 0)
                r = &s->reg_orgs[j];
        if (r && strcmp(r->who.email, o->who.email) != 0) {
            snprintf(why, whylen, "buyer_organizers: '%.64s' differs from the buyer registry's "
                     "organizer (%.120s); the registry decides: remove the entry from "
                     "MVOI_NOTIFIER_BUYER_ORGANIZERS", o->buyer, r->who.email);
            return -EINVAL;
        }
        log_warn("config_deprecated", "MVOI_NOTIFIER_BUYER_ORGANIZERS entry for '%s' %s; set "
                 "'organizer = ...' in its [section] of the buyer registry instead", o->buyer,
                 r ? "repeats the buyer registry" : "is used (the buyer registry has none)");
    }
    return 0;
}

void nt_people_registry_free(nt_service_t *s)
{
    for (int i = 0; i < s->nreg_orgs; i++) {
        free(s->reg_orgs[i].buyer);
        nt_people_free(&s->reg_orgs[i].who);
    }
    free(s->reg_orgs);
    s->reg_orgs = NULL;
    s->nreg_orgs = 0;
}

const nt_who_t *nt_people_organizer(const nt_service_t *s, const char *buyer)
{
    for (int i = 0; buyer && i < s->nreg_orgs; i++)
        if (strcmp(s->reg_orgs[i].buyer, buyer) == 0)
            return &s->reg_orgs[i].who;
    for (int i = 0; buyer && i < s->norgs; i++)
        if (strcmp(s->orgs[i].buyer, buyer) == 0)
            return &s->orgs[i].who;
    return &s->organizer;
}
