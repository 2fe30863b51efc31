/*  ctl_buyer: where a command's buyer comes from. Tender, measurement and reminder ids are
 *  each buyer's own, and two buyers may use the same id: a command sent for a buyer nobody
 *  named reaches that buyer's tender of the same id (a venlo sheet's figures on heerlen's
 *  tender, reported as success). So the buyer is what the user said (--buyer, MVOI_BUYER,
 *  which scripts/run writes into mvoictl.env) or what the sheet says in its buyer column;
 *  with none of these the command is refused before anything is sent. */
#include <string.h>

#include "ctl.h"
#include "mvoi_id.h"

int ctl_buyer_required(const ctl_t *ctl)
{
    return ctl->buyer ? CTL_EX_OK : ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.no_buyer");
}

int ctl_buyer_of_sheet(ctl_t *ctl, ctl_sheet_buyer_fn cell, const void *arg, size_t n)
{
    /* a copy: the rows are freed before the command ends, ctl->buyer is read until then */
    static char s_buyer[MVOI_ID_BUYER_MAX + 1];
    if (ctl->buyer)
        return CTL_EX_OK;
    const char *first = NULL;
    size_t first_row = 0;
    for (size_t i = 0; i < n; i++) {
        size_t row = 0;
        const char *b = cell(arg, i, &row);
        if (!b || !*b)
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.no_buyer_row", row);
        if (!first) {
            first = b;
            first_row = row;
        } else if (strcmp(first, b) != 0) {
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.buyer_rows", first_row, first, row, b);
        }
    }
    if (!first)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.no_buyer");
    /* the cells passed the buyer id rule (mvoi_id.h), so they fit; one that did not would
     * be refused rather than cut */
    if (strlen(first) >= sizeof s_buyer)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.no_buyer_row", first_row);
    memcpy(s_buyer, first, strlen(first) + 1);
    ctl->buyer = s_buyer;
    return CTL_EX_OK;
}
