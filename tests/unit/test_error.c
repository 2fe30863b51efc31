/* Unit tests for common/mvoi_error.c: LMDB's codes converted into the one error space,
 * names and texts for every code, conversion idempotent. */
#include <criterion/criterion.h>

#include <errno.h>
#include <lmdb.h>
#include <string.h>

#include "mvoi_error.h"

Test(error, lmdb_codes_become_named_negative_codes)
{
    cr_assert_eq(mvoi_mdb_error(0), 0);
    cr_assert_eq(mvoi_mdb_error(MDB_NOTFOUND), -ENOENT);
    cr_assert_eq(mvoi_mdb_error(MDB_KEYEXIST), -EEXIST);
    cr_assert_eq(mvoi_mdb_error(MDB_MAP_FULL), MVOI_E_MAP_FULL);
    cr_assert_eq(mvoi_mdb_error(MDB_MAP_RESIZED), MVOI_E_MAP_RESIZED);
    cr_assert_eq(mvoi_mdb_error(MDB_CORRUPTED), MVOI_E_CORRUPTED);
    cr_assert_eq(mvoi_mdb_error(MDB_PAGE_NOTFOUND), MVOI_E_CORRUPTED);
    cr_assert_eq(mvoi_mdb_error(MDB_PANIC), MVOI_E_CORRUPTED);
    cr_assert_eq(mvoi_mdb_error(MDB_VERSION_MISMATCH), MVOI_E_INCOMPATIBLE);
    cr_assert_eq(mvoi_mdb_error(MDB_INVALID), MVOI_E_INCOMPATIBLE);
    cr_assert_eq(mvoi_mdb_error(MDB_READERS_FULL), MVOI_E_READERS_FULL);
    cr_assert_eq(mvoi_mdb_error(MDB_TXN_FULL), MVOI_E_TXN_FULL);
    cr_assert_eq(mvoi_mdb_error(MDB_DBS_FULL), MVOI_E_TXN_FULL);
    cr_assert_eq(mvoi_mdb_error(MDB_BAD_TXN), MVOI_E_STORE_MISUSE);
    cr_assert_eq(mvoi_mdb_error(MDB_BAD_VALSIZE), MVOI_E_STORE_MISUSE);
    /* LMDB reports system failures as positive errnos. */
    cr_assert_eq(mvoi_mdb_error(ENOSPC), -ENOSPC);
    cr_assert_eq(mvoi_mdb_error(EACCES), -EACCES);
}

Test(error, every_lmdb_code_leaves_lmdbs_range)
{
    for (int rc = MDB_KEYEXIST; rc <= MDB_LAST_ERRCODE; rc++) {
        int code = mvoi_mdb_error(rc);
        cr_assert_lt(code, 0, "%d", rc);
        cr_assert(code < MDB_KEYEXIST || code > MDB_LAST_ERRCODE, "%d stays %d", rc, code);
        cr_assert_neq(strcmp(mvoi_errname(code), "E?"), 0, "%d has no name", rc);
    }
}

Test(error, conversion_is_idempotent)
{
    int codes[] = { 0, -EINVAL, -ENOENT, -ENOSPC, MVOI_E_MAP_FULL, MVOI_E_STORE,
                    MVOI_E_CORRUPTED, MVOI_E_LAST };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        cr_assert_eq(mvoi_mdb_error(codes[i]), codes[i]);
}

Test(error, names_and_texts)
{
    cr_assert_str_eq(mvoi_errname(0), "OK");
    cr_assert_str_eq(mvoi_errname(-ENOENT), "ENOENT");
    cr_assert_str_eq(mvoi_errname(-ENOSPC), "ENOSPC");
    cr_assert_str_eq(mvoi_errname(MVOI_E_MAP_FULL), "MVOI_E_MAP_FULL");
    cr_assert_str_eq(mvoi_errname(MVOI_E_CORRUPTED), "MVOI_E_CORRUPTED");
    cr_assert_str_eq(mvoi_errname(MVOI_E_STORE), "MVOI_E_STORE");
    cr_assert_str_eq(mvoi_errname(MDB_CORRUPTED), "E?");   /* raw LMDB: not ours */
    cr_assert_str_eq(mvoi_errname(12345), "E?");
    cr_assert_str_eq(mvoi_strerror(-ENOSPC), "No space left on device");
    cr_assert_str_eq(mvoi_strerror(MVOI_E_CORRUPTED), "the store's file is damaged");
    cr_assert_str_eq(mvoi_strerror(-4000), "unknown error");
    for (int code = MVOI_E_FIRST; code >= MVOI_E_LAST; code--) {
        cr_assert_neq(strcmp(mvoi_errname(code), "E?"), 0, "%d", code);
        cr_assert_neq(strcmp(mvoi_strerror(code), "unknown error"), 0, "%d", code);
    }
}
