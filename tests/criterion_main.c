/*  criterion_main: Criterion's own main (criterion.h: initialize, handle_args, run,
 *  finalize), linked into every test executable (mvoi_criterion_test), with one change:
 *  a --filter without glob characters, such as the "suite/name" each ctest entry passes, is
 *  matched here by string comparison, and Criterion never sees it.
 *
 *  Why: Criterion 2.4.1 matches --filter by Brzozowski derivatives, allocating at each
 *  character of each test's name. One exact name of 85 characters against the 49 tests of
 *  test_calendar_it took 3.1 million mallocs in the runner (a whole suite's "suite/x" took
 *  0.23 million), and the sanitizer pass starts a runner for each of its ~300 integration
 *  tests. Under AddressSanitizer, whose quarantine keeps freed memory from being reused,
 *  those mallocs touched 290 MB: 2.7 s for a test whose own work took about 1.
 *
 *  A name no test has is refused (exit 2, its name on stderr): Criterion would run nothing
 *  and exit 0, and a ctest entry whose test was renamed would pass without running. */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* "--filter=X" or "--filter X" whose X has no glob or extglob character: X, removed from
 * argv (argc updated); NULL when there is none (Criterion then filters as it does). */
static const char *s_take_exact_filter(int *argc, char *argv[])
{
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        int n = 0;
        if (strncmp(argv[i], "--filter=", 9) == 0) {
            v = argv[i] + 9;
            n = 1;
        } else if (strcmp(argv[i], "--filter") == 0 && i + 1 < *argc) {
            v = argv[i + 1];
            n = 2;
        }
        if (!v || v[strcspn(v, "*?[]!@+()|\\")] != '\0')
            continue;
        memmove(&argv[i], &argv[i + n], (size_t)(*argc - i - n + 1) * sizeof *argv);
        *argc -= n;
        return v;
    }
    return NULL;
}

/* Disables every test but "suite/name" == want; the number of tests left enabled. */
static size_t s_only(struct criterion_test_set *set, const char *want)
{
    size_t kept = 0;
    const char *slash = strchr(want, '/');
    size_t slen = slash ? (size_t)(slash - want) : 0;
    struct criterion_suite_set *s;
    FOREACH_SET(s, set->suites) {
        if (!s->tests)
            continue;
        bool suite = slash && strlen(s->suite.name) == slen &&
                     strncmp(s->suite.name, want, slen) == 0;
        struct criterion_test *t;
        FOREACH_SET(t, s->tests) {
            if (suite && strcmp(t->name, slash + 1) == 0)
                kept++;
            else
                t->data->disabled = true;
        }
    }
    return kept;
}

int main(int argc, char *argv[])
{
    const char *want = s_take_exact_filter(&argc, argv);
    struct criterion_test_set *tests = criterion_initialize();
    int rc = 0;
    if (criterion_handle_args(argc, argv, true)) {
        if (want && s_only(tests, want) == 0) {
            fprintf(stderr, "%s: no test is named %s (--filter without glob characters "
                            "names one test as suite/name)\n", argv[0], want);
            rc = 2;
        } else {
            rc = !criterion_run_all_tests(tests);
        }
    }
    criterion_finalize(tests);
    return rc;
}
