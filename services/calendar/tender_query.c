/* tender_query: see tender_query.h. The calendar holds a municipality's tenders (hundreds to
 * a few thousand a year), so filter-then-sort over an array is simple and fast enough. */
#include "tender_query.h"
#include "cal_date.h"
#include "cal_str.h"
#include "system.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_INVALID MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

int tender_query_compare(const Mvoi__Tender *a, const Mvoi__Tender *b)
{
    const char *da = a->planned_publication, *db = b->planned_publication;
    bool ea = cal_str_empty(da), eb = cal_str_empty(db);
    if (ea != eb)
        return ea ? 1 : -1;
    if (!ea) {
        int c = strcmp(da, db);
        if (c)
            return c;
    }
    return strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

static int s_cmp(const void *x, const void *y)
{
    return tender_query_compare(*(const Mvoi__Tender *const *)x, *(const Mvoi__Tender *const *)y);
}

int tender_query_check(const Mvoi__ListTenders *q, tender_error_t *err)
{
    if (!q)
        return tender_error_set(err, -EINVAL, S_INVALID, "", "missing request");
    if (q->has_quarter && q->quarter != 0) {
        if (q->quarter > 4)
            return tender_error_set(err, -EINVAL, S_INVALID, "quarter", "%u is not 1..4", q->quarter);
        if (!q->has_year || q->year == 0)
            return tender_error_set(err, -EINVAL, S_INVALID, "quarter", "a quarter needs a year");
    }
    if (q->has_year && q->year != 0 && (q->year < 1900 || q->year > 2999))
        return tender_error_set(err, -EINVAL, S_INVALID, "year", "%u is not a plausible year", q->year);
    if (q->has_status && (q->status < 0 || q->status > MVOI__TENDER_STATUS__STATUS_CANCELLED))
        return tender_error_set(err, -EINVAL, S_INVALID, "status", "unknown status %d", (int)q->status);
    if (q->has_theme && (q->theme < 0 || q->theme > MVOI__THEME__THEME_SOCIAL_RETURN))
        return tender_error_set(err, -EINVAL, S_INVALID, "theme", "unknown theme %d", (int)q->theme);
    if (q->has_procedure && (q->procedure < 0 || q->procedure > MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR))
        return tender_error_set(err, -EINVAL, S_INVALID, "procedure", "unknown procedure %d", (int)q->procedure);
    return 0;
}

bool tender_query_matches(const Mvoi__Tender *t, const Mvoi__ListTenders *q)
{
    if (q->has_year && q->year) {
        if ((uint32_t)cal_date_year(t->planned_publication) != q->year)
            return false;
        if (q->has_quarter && q->quarter && (uint32_t)cal_date_quarter(t->planned_publication) != q->quarter)
            return false;
    }
    if (q->has_status && q->status && t->status != q->status)
        return false;
    if (q->has_theme && q->theme && !tender_theme_in_scope(t, q->theme))
        return false;
    if (!cal_str_empty(q->purchasing_group) && !cal_str_ieq(t->purchasing_group, q->purchasing_group))
        return false;
    if (q->has_procedure && q->procedure && t->procedure != q->procedure)
        return false;
    if (!cal_str_empty(q->project_leader)) {
        const Mvoi__Person *p = t->project_leader;
        if (!p || (!cal_str_icontains(p->name, q->project_leader) &&
                   !cal_str_icontains(p->email, q->project_leader)))
            return false;
    }
    return true;
}

static uint32_t s_limit(bool has, uint32_t limit)
{
    if (!has || limit == 0)
        return TENDER_QUERY_DEFAULT_LIMIT;
    return limit > TENDER_QUERY_MAX_LIMIT ? TENDER_QUERY_MAX_LIMIT : limit;
}

/* Sort the matches, then keep [offset, offset+limit) in place. */
static int s_page(const Mvoi__Tender **m, size_t nm, uint32_t offset, uint32_t limit, tender_page_t *page)
{
    if (nm > 1)
        qsort(m, nm, sizeof *m, s_cmp);
    page->total = (uint32_t)nm;
    size_t start = offset < nm ? offset : nm;
    size_t end = nm - start > limit ? start + limit : nm;
    if (start)
        memmove(m, m + start, (end - start) * sizeof *m);
    page->items = m;
    page->n = end - start;
    page->next_offset = end < nm ? (uint32_t)end : 0;
    return 0;
}

int tender_query_list(const Mvoi__Tender *const *all, size_t n, const Mvoi__ListTenders *q,
                      tender_page_t *page, tender_error_t *err)
{
    memset(page, 0, sizeof *page);
    int rc = tender_query_check(q, err);
    if (rc < 0)
        return rc;
    const Mvoi__Tender **m = malloc((n ? n : 1) * sizeof *m);
    if (!m)
        return tender_error_set(err, -ENOMEM, MVOI__ERROR_CODE__ERR_INTERNAL, "", "out of memory");
    size_t nm = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i] && tender_query_matches(all[i], q))
            m[nm++] = all[i];
    return s_page(m, nm, q->has_offset ? q->offset : 0, s_limit(q->has_limit, q->limit), page);
}

int tender_query_upcoming(const Mvoi__Tender *const *all, size_t n, const Mvoi__UpcomingTenders *q,
                          const char *today, tender_page_t *page, tender_error_t *err)
{
    memset(page, 0, sizeof *page);
    const char *from = (q && !cal_str_empty(q->from_date)) ? q->from_date : today;
    if (!cal_date_valid(from))
        return tender_error_set(err, -EINVAL, S_INVALID, "from_date", "'%.40s' is not a date YYYY-MM-DD",
                                from ? from : "");
    uint32_t days = (q && q->has_days && q->days) ? q->days : TENDER_UPCOMING_DEFAULT_DAYS;
    if (days > TENDER_UPCOMING_MAX_DAYS)
        return tender_error_set(err, -EINVAL, S_INVALID, "days", "%u is more than %d", days, TENDER_UPCOMING_MAX_DAYS);
    char to[11];
    if (cal_date_add_days(from, days, to) < 0)
        return tender_error_set(err, -EINVAL, S_INVALID, "days", "window ends beyond the year 2999");
    const Mvoi__Tender **m = malloc((n ? n : 1) * sizeof *m);
    if (!m)
        return tender_error_set(err, -ENOMEM, MVOI__ERROR_CODE__ERR_INTERNAL, "", "out of memory");
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        const Mvoi__Tender *t = all[i];
        if (!t || !cal_date_valid(t->planned_publication))
            continue;
        /* already published (or further) or cancelled: no longer upcoming */
        if (t->status >= MVOI__TENDER_STATUS__STATUS_PUBLISHED)
            continue;
        if (strcmp(t->planned_publication, from) >= 0 && strcmp(t->planned_publication, to) <= 0)
            m[nm++] = t;
    }
    return s_page(m, nm, 0, s_limit(q && q->has_limit, q ? q->limit : 0), page);
}

void tender_page_clear(tender_page_t *page)
{
    if (!page)
        return;
    free(page->items);
    memset(page, 0, sizeof *page);
}
