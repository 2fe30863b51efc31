/*  cmd_tender_pages: `tender list --all --json` as one JSON document (cmd_tender.h).
 *
 *  --all asks the calendar page after page (at most 1000 tenders each). With --json each
 *  page was printed as it came, so stdout held one document per page, one after the other:
 *  not JSON (a parser stops at the second), and a `jq .total` or `.tenders | length` gave
 *  one figure per page. The pages are kept and printed once, as the one TenderList they
 *  make: every tender in the calendar's order, the total, no next_offset (none is left). A
 *  page that fails prints nothing but the error.
 */
#include <stdlib.h>

#include "cmd_tender.h"

int ctl_tender_pages_keep(ctl_t *ctl, ctl_tender_pages_t *p, Mvoi__Envelope **r)
{
    if ((*r)->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST)
        return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        Mvoi__Envelope **n = realloc(p->pages, cap * sizeof *n);
        if (!n)
            return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.oom");
        p->pages = n;
        p->cap = cap;
    }
    p->n_tenders += (*r)->tender_list->n_tenders;
    p->pages[p->n++] = *r;
    *r = NULL;
    return CTL_EX_OK;
}

int ctl_tender_pages_print(ctl_t *ctl, const ctl_tender_pages_t *p)
{
    Mvoi__TenderList all = MVOI__TENDER_LIST__INIT;
    all.tenders = p->n_tenders ? calloc(p->n_tenders, sizeof *all.tenders) : NULL;
    if (p->n_tenders && !all.tenders)
        return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.oom");
    for (size_t i = 0; i < p->n; i++) {   /* pointers only: the pages keep the tenders */
        const Mvoi__TenderList *l = p->pages[i]->tender_list;
        for (size_t k = 0; k < l->n_tenders; k++)
            all.tenders[all.n_tenders++] = l->tenders[k];
        all.has_total = l->has_total;
        all.total = l->total;
    }
    ctl_print_json(stdout, &all.base);
    free(all.tenders);
    return CTL_EX_OK;
}

void ctl_tender_pages_clear(ctl_tender_pages_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        ctl_free(&p->pages[i]);
    free(p->pages);
    *p = (ctl_tender_pages_t){ 0 };
}
