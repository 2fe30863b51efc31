/*  unit_tmp: a scratch directory per test for the unit tests of common/ (test_<module>.c). */
#ifndef MVOI_TEST_UNIT_TMP_H
#define MVOI_TEST_UNIT_TMP_H

#include <stdbool.h>
#include <stddef.h>

/* A fresh directory /tmp/mvoi-<name>-XXXXXX into dir; fails the test when it cannot. */
void ut_tmpdir(char *dir, size_t len, const char *name);
/* Remove it with everything in it; a failure is reported on stderr, not fatal. */
void ut_tmpdir_remove(const char *dir);
/* fd is open on a file whose path ends in suffix (e.g. "/wal.mvoi"): how the tests that
 * define fdatasync to inject a failure tell which file a call is for. */
bool ut_fd_is(int fd, const char *suffix);

#endif
