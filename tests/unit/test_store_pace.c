/*  test_store_pace: the paced write-back before a checkpoint's flush (store_pace.h).
 *
 *  What must hold: the whole file is walked (every chunk of it, so no dirty page is left
 *  for the one burst the pacing is there to avoid), the gaps never add up to more than the
 *  budget, nobody waiting for the flush is held by a gap (hurry), a very large file is
 *  walked in at most 8,192 steps, and a descriptor that cannot be paced is refused by
 *  name or passed through, never guessed at. Durability itself stays with the caller's
 *  fdatasync (test_store_cpfail: a failing write-back fails the checkpoint).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "store_pace.h"
#include "unit_tmp.h"

static char s_dir[64];

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "pace"); }
static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(pace, .init = s_setup, .fini = s_teardown);

/* A file of `mib` MiB, every page of it written (dirty in the page cache). */
static int s_dirty_file(const char *name, unsigned mib)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    static char page[4096];
    memset(page, 0x5a, sizeof page);
    for (unsigned i = 0; i < mib * 256; i++)
        cr_assert_eq(pwrite(fd, page, sizeof page, (off_t)i * 4096), (ssize_t)sizeof page);
    return fd;
}

Test(pace, walks_the_whole_file_within_the_budget)
{
    int fd = s_dirty_file("a", 8);
    store_pace_stats_t st;
    int64_t t0 = clock_mono_ns();
    cr_assert_eq(store_pace_writeback(fd, 2, NULL, &st), 0);
    int64_t took = clock_mono_ns() - t0;
    /* 8 MiB in 64 KiB steps: 128 calls, whatever each one found to write */
    cr_assert_eq(st.chunks, 128, "%llu steps", (unsigned long long)st.chunks);
    cr_assert_leq(st.wrote, st.chunks);
    cr_assert_leq(st.slept_ns, 2 * 1000000LL, "slept %lld ns, budget 2 ms",
                  (long long)st.slept_ns);
    /* a chunk that wrote gets a gap (at least 0.2 ms, within the budget) */
    cr_assert(st.wrote == 0 || st.slept_ns >= 200000, "%llu chunks wrote, slept %lld ns",
              (unsigned long long)st.wrote, (long long)st.slept_ns);
    cr_assert_geq(took, st.slept_ns);
    close(fd);
}

Test(pace, no_gap_without_a_budget_or_when_someone_waits)
{
    store_pace_stats_t st;
    int fd = s_dirty_file("b", 4);
    cr_assert_eq(store_pace_writeback(fd, 0, NULL, &st), 0);
    cr_assert_eq(st.chunks, 64);
    cr_assert_eq(st.slept_ns, 0, "slept %lld ns with no budget", (long long)st.slept_ns);
    close(fd);
    fd = s_dirty_file("c", 4);
    bool hurry = true;
    cr_assert_eq(store_pace_writeback(fd, 1000, &hurry, &st), 0);
    cr_assert_eq(st.chunks, 64);
    cr_assert_eq(st.slept_ns, 0, "slept %lld ns while someone waited", (long long)st.slept_ns);
    close(fd);
}

Test(pace, a_large_file_takes_at_most_8192_steps)
{
    char path[128];
    snprintf(path, sizeof path, "%s/big", s_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, (off_t)64 << 30), 0);   /* 64 GiB, sparse */
    store_pace_stats_t st;
    cr_assert_eq(store_pace_writeback(fd, 10, NULL, &st), 0);
    cr_assert_leq(st.chunks, 8192, "%llu steps", (unsigned long long)st.chunks);
    cr_assert_geq(st.chunks, 8191);
    close(fd);
}

Test(pace, bad_descriptors)
{
    cr_assert_eq(store_pace_writeback(-1, 10, NULL, NULL), -EBADF);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    store_pace_stats_t st = { 1, 1, 1 };
    cr_assert_eq(store_pace_writeback(p[0], 10, NULL, &st), 0, "a pipe is passed through");
    cr_assert_eq(st.chunks, 0);
    close(p[0]);
    close(p[1]);
}
