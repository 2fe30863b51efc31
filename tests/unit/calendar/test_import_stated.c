/* A sheet states the fields of its columns (csv_import_t.stated, UpsertTenders.stated):
 * tender_merge_stated takes those from the row (an empty cell clears), keeps every other
 * stored field, and merges a person by part. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cal_test.h"
#include "csv_import.h"
#include "tender_diff.h"

static bool s_has(const csv_import_t *ci, const char *name)
{
    for (size_t i = 0; i < ci->n_stated; i++)
        if (strcmp(ci->stated[i], name) == 0)
            return true;
    return false;
}

Test(import_stated, the_header_states_its_columns_fields)
{
    const char *csv = "Kenmerk;Titel;Soort;Projectleider;Waarde;SDG's;Procedure;Status;Notitie\n"
                      "T-1;Titel;diensten;;;;;;x\n";
    csv_import_opts_t o = { .default_buyer = "heerlen" };
    csv_import_t ci;
    cr_assert_eq(csv_import_parse(csv, strlen(csv), &o, &ci), 0);
    cr_assert_eq(ci.n_tenders, 1);
    /* title, kind, the leader's name, value, sdgs and both method fields: 7; the id, the
     * status (apply_status) and an unmapped column state no stored field */
    cr_assert_eq(ci.n_stated, 7);
    cr_assert(s_has(&ci, "title") && s_has(&ci, "kind") && s_has(&ci, "project_leader.name"));
    cr_assert(s_has(&ci, "value_cents") && s_has(&ci, "sdgs"));
    cr_assert(s_has(&ci, "procurement_method") && s_has(&ci, "procurement_method_details"));
    cr_assert(!s_has(&ci, "project_leader.email") && !s_has(&ci, "cpv"));
    for (size_t i = 0; i < ci.n_stated; i++)
        cr_assert(tender_stated_known(ci.stated[i]), "%s", ci.stated[i]);
    cr_assert(!tender_stated_known("project_leader.phone"));
    cr_assert(!tender_stated_known("leader"));
    csv_import_clear(&ci);
}

static Mvoi__Tender *s_stored(void)
{
    Mvoi__Tender *t = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1234, "2025-03-01");
    cr_assert_eq(tender_set_person(&t->project_leader, "P. Leider", "pl@x.nl"), 0);
    cr_assert_eq(tender_set_person(&t->budget_holder, "B. Houder", "bh@x.nl"), 0);
    cal_str_set(&t->cpv, "45233141-9");
    t->n_sdgs = 2;
    t->sdgs = malloc(2 * sizeof *t->sdgs);
    t->sdgs[0] = 8;
    t->sdgs[1] = 13;
    return t;
}

Test(import_stated, stated_decides_unstated_keeps)
{
    Mvoi__Tender *old = s_stored();
    Mvoi__Tender *row = tender_new();
    cal_str_set(&row->id, "T-1");
    cal_str_set(&row->title, "Nieuw");
    /* the sheet: title, value, sdgs, the leader's e-mail; value and sdgs cells empty */
    char *stated[] = { "title", "value_cents", "sdgs", "project_leader.email" };
    cr_assert_eq(tender_set_person(&row->project_leader, NULL, "nieuw@x.nl"), 0);
    Mvoi__Tender *m = tender_merge_stated(old, row, stated, 4);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->title, "Nieuw");
    cr_assert_eq(m->has_value_cents, 0, "an empty value cell clears 1234 euros");
    cr_assert_eq(m->n_sdgs, 0);
    cr_assert_str_eq(m->cpv, "45233141-9", "no cpv column: kept");
    cr_assert_str_eq(m->project_leader->name, "P. Leider", "no name column: kept");
    cr_assert_str_eq(m->project_leader->email, "nieuw@x.nl");
    cr_assert_str_eq(m->budget_holder->email, "bh@x.nl");
    const char *names[8];
    cr_assert_eq(tender_changed(old, m, names, 8), 4);   /* title, value, leader, sdgs */
    tender_free(m);

    /* both parts of the leader stated and empty: no leader at all (NULL, as never set) */
    char *both[] = { "project_leader.name", "project_leader.email" };
    tender_set_person(&row->project_leader, NULL, NULL);
    m = tender_merge_stated(old, row, both, 2);
    cr_assert_null(m->project_leader);
    cr_assert_eq(m->value_cents, 123400, "not stated: kept");
    tender_free(m);
    tender_free(row);
    tender_free(old);
}

Test(import_stated, a_renamed_person_without_an_email_column_is_named)
{
    Mvoi__Tender *old = s_stored(), *row = tender_new();
    char *name_only[] = { "project_leader.name" };
    const char *field = NULL;
    cr_assert_eq(tender_set_person(&row->project_leader, "P. Leider", NULL), 0);
    cr_assert_eq(tender_stated_person_check(old, row, name_only, 1, &field), 0, "same person");
    cr_assert_eq(tender_set_person(&row->project_leader, "Q. Nieuw", NULL), 0);
    cr_assert_eq(tender_stated_person_check(old, row, name_only, 1, &field), -EINVAL);
    cr_assert_str_eq(field, "project_leader");
    tender_set_person(&row->project_leader, NULL, NULL);   /* an empty name cell */
    cr_assert_eq(tender_stated_person_check(old, row, name_only, 1, &field), -EINVAL);
    char *with_email[] = { "project_leader.name", "project_leader.email" };
    cr_assert_eq(tender_stated_person_check(old, row, with_email, 2, &field), 0);
    tender_free(row);
    tender_free(old);
}
