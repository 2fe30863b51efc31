/* tender_util: see tender_util.h. */
#include "tender_util.h"
#include "cal_str.h"

#include <errno.h>
#include <stdlib.h>

Mvoi__Tender *tender_new(void)
{
    Mvoi__Tender *t = malloc(sizeof *t);
    if (t)
        mvoi__tender__init(t);
    return t;
}

void tender_free(Mvoi__Tender *t)
{
    if (t)
        mvoi__tender__free_unpacked(t, NULL);
}

Mvoi__Tender *tender_dup(const Mvoi__Tender *t)
{
    if (!t)
        return NULL;
    size_t n = mvoi__tender__get_packed_size(t);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    mvoi__tender__pack(t, buf);
    Mvoi__Tender *copy = mvoi__tender__unpack(NULL, n, buf);
    free(buf);
    return copy;
}

int tender_set_person(Mvoi__Person **slot, const char *name, const char *email)
{
    if (*slot) {
        mvoi__person__free_unpacked(*slot, NULL);
        *slot = NULL;
    }
    if (cal_str_empty(name) && cal_str_empty(email))
        return 0;
    Mvoi__Person *p = malloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    mvoi__person__init(p);
    if (cal_str_set(&p->name, name) < 0 || cal_str_set(&p->email, email) < 0) {
        mvoi__person__free_unpacked(p, NULL);
        return -ENOMEM;
    }
    *slot = p;
    return 0;
}

int tender_add_theme(Mvoi__Tender *t, Mvoi__Theme theme, Mvoi__Commitment commitment)
{
    Mvoi__ThemeAmbition **nt = realloc(t->themes, (t->n_themes + 1) * sizeof *nt);
    if (!nt)
        return -ENOMEM;
    t->themes = nt;
    Mvoi__ThemeAmbition *a = malloc(sizeof *a);
    if (!a)
        return -ENOMEM;
    mvoi__theme_ambition__init(a);
    a->has_theme = 1;
    a->theme = theme;
    a->has_commitment = 1;
    a->commitment = commitment;
    t->themes[t->n_themes] = a;
    return (int)t->n_themes++;
}

int tender_add_sdg(Mvoi__Tender *t, uint32_t sdg)
{
    uint32_t *ns = realloc(t->sdgs, (t->n_sdgs + 1) * sizeof *ns);
    if (!ns)
        return -ENOMEM;
    t->sdgs = ns;
    t->sdgs[t->n_sdgs++] = sdg;
    return 0;
}
