/* Unit tests for common/inbox.c: verdicts, persistence, rollback with the transaction. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inbox.h"
#include "unit_tmp.h"

static char s_dir[64];
static const char *const s_dbs[] = { INBOX_DBS, "state", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "inbox"); }

static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(inbox, .init = s_setup, .fini = s_teardown);

static store_t *s_open(void)
{
    store_opts_t o = { .path = s_dir, .dbs = s_dbs };
    int err = 1;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    return s;
}

/* One consumer step: check, and on APPLY/NEW_EPOCH advance; then return `ret` (0 commits). */
typedef struct {
    inbox_t *in;
    const char *producer;
    uint64_t epoch, seq;
    int verdict;
    int ret;
    bool advance;
} step_t;

static int s_step_fn(MDB_txn *txn, void *arg)
{
    step_t *st = arg;
    st->verdict = inbox_check(st->in, txn, st->producer, st->epoch, st->seq);
    if (st->verdict < 0)
        return st->verdict;
    if (st->advance && (st->verdict == INBOX_APPLY || st->verdict == INBOX_NEW_EPOCH)) {
        int rc = inbox_advance(st->in, txn, st->producer, st->epoch, st->seq);
        if (rc != 0)
            return rc;
    }
    return st->ret;
}

static int s_check(store_t *s, inbox_t *in, const char *p, uint64_t e, uint64_t q, bool adv)
{
    step_t st = { in, p, e, q, -1, 0, adv };
    cr_assert_eq(store_write(s, s_step_fn, &st), 0);
    return st.verdict;
}

Test(inbox, verdicts)
{
    store_t *s = s_open();
    int err = 1;
    inbox_t *in = inbox_new(s, &err);
    cr_assert_not_null(in);
    cr_assert_eq(err, 0);
    uint64_t e = 0xfeedbeefcafe1234ull, q = 99;

    cr_assert_eq(inbox_get(in, NULL, "calendar", &e, &q), 0);
    cr_assert_eq(e, 0);
    cr_assert_eq(q, 0);

    /* First contact: NEW_EPOCH (resync), whatever the seq. */
    cr_assert_eq(s_check(s, in, "calendar", 7, 1, false), INBOX_NEW_EPOCH);
    cr_assert_eq(s_check(s, in, "calendar", 7, 5, true), INBOX_NEW_EPOCH);   /* cursor (7,5) */
    cr_assert_eq(s_check(s, in, "calendar", 7, 6, false), INBOX_APPLY);
    cr_assert_eq(s_check(s, in, "calendar", 7, 5, false), INBOX_DUPLICATE);
    cr_assert_eq(s_check(s, in, "calendar", 7, 1, false), INBOX_DUPLICATE);
    cr_assert_eq(s_check(s, in, "calendar", 7, 0, false), INBOX_DUPLICATE);
    cr_assert_eq(s_check(s, in, "calendar", 7, 8, false), INBOX_GAP);
    cr_assert_eq(s_check(s, in, "calendar", 7, UINT64_MAX, false), INBOX_GAP);
    cr_assert_eq(s_check(s, in, "calendar", 8, 6, false), INBOX_NEW_EPOCH);
    cr_assert_eq(s_check(s, in, "calendar", 8, 1, false), INBOX_NEW_EPOCH);
    /* Apply a run; cursors are per producer. */
    for (uint64_t i = 6; i <= 20; i++)
        cr_assert_eq(s_check(s, in, "calendar", 7, i, true), INBOX_APPLY);
    cr_assert_eq(s_check(s, in, "impact", 7, 1, false), INBOX_NEW_EPOCH);
    cr_assert_eq(inbox_get(in, NULL, "calendar", &e, &q), 0);
    cr_assert_eq(e, 7);
    cr_assert_eq(q, 20);

    /* Bad producer names. */
    step_t st = { in, "", 1, 1, -1, 0, false };
    cr_assert_eq(store_write(s, s_step_fn, &st), -EINVAL);
    cr_assert_eq(inbox_get(in, NULL, NULL, &e, &q), -EINVAL);

    inbox_destroy(&in);
    cr_assert_null(in);
    store_destroy(&s);
}

static int s_advance_then_check_fn(MDB_txn *txn, void *arg)
{
    step_t *st = arg;
    int rc = inbox_advance(st->in, txn, st->producer, st->epoch, st->seq);
    if (rc != 0)
        return rc;
    uint64_t e, q;
    rc = inbox_get(st->in, txn, st->producer, &e, &q);   /* sees its own write */
    if (rc != 0)
        return rc;
    if (e != st->epoch || q != st->seq)
        return -EBADMSG;
    st->verdict = inbox_check(st->in, txn, st->producer, st->epoch, st->seq);
    return st->ret;
}

Test(inbox, cursor_persists_across_reopen)
{
    store_t *s = s_open();
    inbox_t *in = inbox_new(s, NULL);
    cr_assert_not_null(in);
    step_t st = { in, "impact", 0x1122334455667788ull, 42, -1, 0, true };
    cr_assert_eq(store_write(s, s_advance_then_check_fn, &st), 0);
    cr_assert_eq(st.verdict, INBOX_DUPLICATE);
    inbox_destroy(&in);
    store_destroy(&s);

    s = s_open();
    in = inbox_new(s, NULL);
    uint64_t e, q;
    cr_assert_eq(inbox_get(in, NULL, "impact", &e, &q), 0);
    cr_assert_eq(e, 0x1122334455667788ull);
    cr_assert_eq(q, 42);
    cr_assert_eq(s_check(s, in, "impact", e, 43, false), INBOX_APPLY);
    inbox_destroy(&in);
    store_destroy(&s);
}

Test(inbox, advance_rolled_back_on_abort)
{
    store_t *s = s_open();
    inbox_t *in = inbox_new(s, NULL);
    cr_assert_eq(s_check(s, in, "calendar", 3, 10, true), INBOX_NEW_EPOCH);

    /* The consumer applies event 11 but its state change fails: everything rolls back. */
    step_t st = { in, "calendar", 3, 11, -1, -ECANCELED, true };
    cr_assert_eq(store_write(s, s_step_fn, &st), -ECANCELED);
    cr_assert_eq(st.verdict, INBOX_APPLY);
    uint64_t e, q;
    cr_assert_eq(inbox_get(in, NULL, "calendar", &e, &q), 0);
    cr_assert_eq(e, 3);
    cr_assert_eq(q, 10);
    /* So the redelivered event is applied again, not dropped as a duplicate. */
    cr_assert_eq(s_check(s, in, "calendar", 3, 11, true), INBOX_APPLY);
    cr_assert_eq(inbox_get(in, NULL, "calendar", &e, &q), 0);
    cr_assert_eq(q, 11);
    inbox_destroy(&in);
    store_destroy(&s);
}

Test(inbox, needs_inbox_db)
{
    static const char *const dbs[] = { "other", NULL };
    store_opts_t o = { .path = s_dir, .dbs = dbs };
    store_t *s = store_new(&o, NULL);
    cr_assert_not_null(s);
    int err = 0;
    cr_assert_null(inbox_new(s, &err));
    cr_assert_eq(err, -EINVAL);
    store_destroy(&s);
}
