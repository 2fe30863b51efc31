/*  mvoictl's arguments as a real process, before any service is asked: a number that is not
 *  a whole number in its range, and a word the verb does not take, end in exit 64 naming
 *  the option; nothing is sent (the fake services here count what arrives). atoi had made
 *  each of these inputs another period's figures or the default page, with exit 0.
 *  Also the help of a group (`kpi --help`, `help kpi`) and the exit codes the help lists. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "envelope.pb-c.h"
#include "harness.h"

static struct {
    char dir[128], out[256];
    char ep[5][200];
    void *zctx, *router;
    const char *lang;   /* --lang of s_ctl: "en" unless a test says otherwise */
    const char *in;     /* s_ctl's stdin, when set */
    bool no_buyer;      /* s_ctl without MVOI_BUYER (ctest sets the test runs' heerlen) */
} F;

static const char *const s_svc[5] = { "CALENDAR", "IMPACT", "KPI", "NOTIFIER", "REPORT" };

/* One ROUTER that stands in for every service, bound where mvoictl's variables point; it
 * never answers. */
static void s_setup(void)
{
    memset(&F, 0, sizeof F);
    F.lang = "en";
    h_tmpdir(F.dir, sizeof F.dir);
    snprintf(F.out, sizeof F.out, "%s/ctl.out", F.dir);
    F.zctx = zmq_ctx_new();
    F.router = zmq_socket(F.zctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(F.router, ZMQ_LINGER, &zero, sizeof zero);
    char dir[sizeof F.dir];   /* a copy: GCC -O1 takes F.dir and F.ep for overlapping */
    memcpy(dir, F.dir, sizeof dir);
    for (int i = 0; i < 5; i++) {
        snprintf(F.ep[i], sizeof F.ep[i], "ipc://%s/%d.api", dir, i);
        cr_assert_eq(zmq_bind(F.router, F.ep[i]), 0);
    }
}

static void s_teardown(void)
{
    zmq_close(F.router);
    zmq_ctx_term(F.zctx);
    h_tmpdir_remove(F.dir);
}

TestSuite(mvoictl_args, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* Requests that reached the fake services since the last call. */
static int s_requests(int wait_ms)
{
    int n = 0;
    zmq_pollitem_t it = { F.router, 0, ZMQ_POLLIN, 0 };
    while (zmq_poll(&it, 1, wait_ms) > 0) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, F.router, 0);
        if (!zmq_msg_more(&m))
            n++;
        zmq_msg_close(&m);
        wait_ms = 0;
    }
    return n;
}

/* mvoictl --lang F.lang --timeout 1500 ARGS...; stdout and stderr in out (cap bytes). */
static int s_ctl(char *out, size_t cap, const char *const *args)
{
    char bin[512];
    h_bin(bin, sizeof bin, "services/mvoictl/mvoictl");
    const char *argv[40] = { bin, "--lang", F.lang, "--timeout", "1500" };
    int n = 5;
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(F.out, "w", stdout))
            _exit(126);
        dup2(fileno(stdout), 2);
        if (F.in && !freopen(F.in, "r", stdin))
            _exit(126);
        setenv("MVOI_CURVE", "off", 1);
        unsetenv("MVOI_CTL_TIMEOUT_MS");
        if (F.no_buyer)
            unsetenv("MVOI_BUYER");
        for (int i = 0; i < 5; i++) {
            char name[40];
            snprintf(name, sizeof name, "MVOI_%s_API", s_svc[i]);
            setenv(name, F.ep[i], 1);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    h_proc_t p = { .pid = pid };
    int st = 0;
    cr_assert_eq(h_wait(&p, 20000, &st), 0, "mvoictl hangs");
    FILE *fp = fopen(F.out, "r");
    size_t got = fp ? fread(out, 1, cap - 1, fp) : 0;
    out[got] = 0;
    if (fp)
        fclose(fp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* args must end in exit 64 with want in the message, and send nothing. */
static void s_refused(const char *want, const char *const *args)
{
    char out[4096], cmd[256] = "";
    for (int i = 0; args[i]; i++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s ", args[i]);
    int rc = s_ctl(out, sizeof out, args);
    cr_expect_eq(rc, 64, "%s: exit %d, expected 64: %s", cmd, rc, out);
    cr_expect(strstr(out, want) != NULL, "%s: '%s' not in: %s", cmd, want, out);
    cr_expect_eq(s_requests(100), 0, "%s: a request was sent", cmd);
}

#define REFUSED(want, ...) s_refused(want, (const char *const[]){ __VA_ARGS__, NULL })

Test(mvoictl_args, a_bad_year_or_quarter_is_refused_by_name)
{
    REFUSED("option --year: 'abc' is not a whole number between 1900 and 2999",
            "kpi", "show", "--year", "abc");
    REFUSED("option --year: '0' is not", "kpi", "show", "--year", "0");
    REFUSED("option --year: '2025x' is not", "kpi", "show", "--year", "2025x");
    REFUSED("option --quarter: 'x' is not a whole number between 1 and 4",
            "kpi", "show", "--year", "2025", "--quarter", "x");
    REFUSED("option --year: 'abc'", "kpi", "pilots", "--year", "abc");
    REFUSED("option --quarter: '5'", "kpi", "pilots", "--quarter", "5");
    REFUSED("option --year: 'abc' is not a whole number between 2000 and 2999",
            "report", "generate", "--year", "abc");
    REFUSED("option --quarter: 'q1'", "report", "generate", "--year", "2025", "--quarter", "q1");
    REFUSED("option --year: 'abc'", "report", "narrative", "--year", "abc", "--theme",
            "klimaat", "--text", "x");
    REFUSED("option --year: 'abc'", "tender", "list", "--year", "abc");
    REFUSED("option --quarter: '0'", "tender", "list", "--year", "2025", "--quarter", "0");
}

Test(mvoictl_args, a_bad_count_is_refused_by_name)
{
    REFUSED("option --limit: 'abc' is not a whole number between 1 and 1000",
            "tender", "list", "--limit", "abc");
    REFUSED("option --offset: '-1'", "tender", "list", "--offset", "-1");
    REFUSED("option --days: 'abc' is not a whole number between 1 and 3660",
            "tender", "upcoming", "--days", "abc");
    REFUSED("option --days: '-5'", "tender", "upcoming", "--days", "-5");
    REFUSED("option --limit: '10x'", "tender", "upcoming", "--limit", "10x");
    REFUSED("option --limit: 'abc'", "measure", "list", "--limit", "abc");
    REFUSED("option --offset: 'x'", "measure", "list", "--offset", "x");
    REFUSED("option --limit: 'abc'", "reminders", "list", "--limit", "abc");
    REFUSED("option --offset: '1.5'", "reminders", "list", "--offset", "1.5");
    REFUSED("option --count: 'abc'", "kpi", "watch", "--count", "abc");
    REFUSED("option --seconds: 'abc'", "kpi", "watch", "--seconds", "abc");
    REFUSED("option --timeout: '5s'", "--timeout", "5s", "kpi", "show");
    REFUSED("option --year: '20x'", "benchmark", "show", "--year", "20x");
    REFUSED("option --k: '1' is not a whole number between 5 and 1000",
            "benchmark", "show", "--k", "1");
    REFUSED("option --k: '4' is not a whole number between 5 and 1000: with fewer than 5 "
            "buyers per distribution", "benchmark", "show", "--k", "4");
}

/* `tender import --format xml` was taken as CSV and the file imported; a format the import
 * does not read is refused by name and nothing is sent (the file is a good CSV). */
Test(mvoictl_args, an_unknown_import_format_is_refused)
{
    REFUSED("--format is csv or ocds, not xml", "tender", "import", "--format", "xml",
            MVOI_SOURCE_DIR "/tests/unit/calendar/fixtures/en-comma.csv");
}

Test(mvoictl_args, a_word_the_verb_does_not_take_is_refused)
{
    REFUSED("unexpected argument 'extra'", "kpi", "show", "--year", "2025", "extra");
    REFUSED("unexpected argument 'extra'", "kpi", "pilots", "extra");
    REFUSED("unexpected argument '2025'", "report", "generate", "2025");
    REFUSED("unexpected argument 'x'", "tender", "list", "x");
    REFUSED("unexpected argument 'x'", "tender", "upcoming", "x");
    REFUSED("unexpected argument 'y'", "measure", "list", "T-1", "y");
    REFUSED("unexpected argument 'x'", "reminders", "list", "x");
}

/* A verb of one id takes one: `measure withdraw m1 m2` withdrew m1 alone with exit 0 (m2
 * still counted in every total), `reminders resend r1 r2` resent r1 alone, `reminders
 * cancel r1 no longer needed` stored the reason "no". Each is refused and nothing sent. */
Test(mvoictl_args, a_second_id_is_refused_not_ignored)
{
    REFUSED("unexpected argument 'm2'", "measure", "withdraw", "m1", "m2", "--reason", "x");
    REFUSED("unexpected argument 'm2'", "measure", "withdraw", "--id", "m1", "m2");
    REFUSED("unexpected argument 'm2'", "measure", "show", "m1", "m2");
    REFUSED("unexpected argument 'x'", "measure", "factors", "x");
    REFUSED("unexpected argument 'r2'", "reminders", "resend", "r1", "r2");
    REFUSED("unexpected argument 'r2'", "reminders", "show", "r1", "r2");
    REFUSED("unexpected argument 'longer'", "reminders", "cancel", "r1", "no", "longer");
}

/* A file of F.dir with text; its path in path. */
static void s_file(char *path, size_t cap, const char *name, const char *text)
{
    snprintf(path, cap, "%s/%s", F.dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert(fp);
    fputs(text, fp);
    fclose(fp);
}

/* `measure add --json m.json --quantity 5` sent the file and dropped the flag without a word
 * (exit 0 with the file's quantity); `measure correct --json` of a batch of two corrected
 * the first and dropped the second (exit 0), of an empty batch crashed (SIGSEGV). Each is
 * refused with its reason and nothing is sent. */
Test(mvoictl_args, a_json_measurement_is_taken_whole_or_refused)
{
    char one[256], two[256], none[256], out[4096];
    s_file(one, sizeof one, "one.json",
           "{\"id\": \"m1\", \"tender_id\": \"T-1\", \"energy\": {\"quantity_milli\": 1000}}");
    s_file(two, sizeof two, "two.json",
           "{\"measurements\": [{\"id\": \"m1\"}, {\"id\": \"m2\"}]}");
    s_file(none, sizeof none, "none.json", "{\"measurements\": []}");
    REFUSED("--json FILE and field options exclude each other", "measure", "add", "--json",
            one, "--quantity", "5");
    REFUSED("--json FILE and field options exclude each other", "measure", "whatif",
            "--kind", "energy", "--json", one);
    const char *const a[] = { "measure", "correct", "--json", two, NULL };
    cr_expect_eq(s_ctl(out, sizeof out, a), 65, "%s", out);
    cr_expect(strstr(out, "--json holds 2 measurements") != NULL, "%s", out);
    cr_expect_eq(s_requests(100), 0, "correct of a batch of two was sent");
    const char *const b[] = { "measure", "correct", "--json", none, NULL };
    cr_expect_eq(s_ctl(out, sizeof out, b), 65, "%s", out);
    cr_expect(strstr(out, "--json holds 0 measurements") != NULL, "%s", out);
    cr_expect_eq(s_requests(100), 0, "correct of an empty batch was sent");
    /* a field twice in the file (two quantities, or two tender values): 65 naming it,
     * nothing sent; the last was taken without a word */
    char dq[256], dt[256];
    s_file(dq, sizeof dq, "dq.json", "{\"id\": \"m1\", \"tender_id\": \"T-1\", \"energy\": "
           "{\"quantity_milli\": 1000, \"quantity_milli\": 1000000}}");
    s_file(dt, sizeof dt, "dt.json", "{\"id\": \"T-1\", \"title\": \"x\", \"value_cents\": 100, "
           "\"value_cents\": 100000000}");
    const char *const d[] = { "measure", "add", "--json", dq, NULL };
    cr_expect_eq(s_ctl(out, sizeof out, d), 65, "%s", out);
    cr_expect(strstr(out, "duplicate object key near '\"quantity_milli\"'"), "%s", out);
    const char *const t[] = { "tender", "add", "--json", dt, NULL };
    cr_expect_eq(s_ctl(out, sizeof out, t), 65, "%s", out);
    cr_expect(strstr(out, "duplicate object key near '\"value_cents\"'"), "%s", out);
    cr_expect_eq(s_requests(100), 0, "a file with a field twice was sent");
    /* the control: the file alone is sent (no answer here: 69) */
    const char *const c[] = { "measure", "add", "--json", one, NULL };
    cr_expect_eq(s_ctl(out, sizeof out, c), 69, "%s", out);
    cr_expect_eq(s_requests(200), 1);
}

/* `measure add --quantity 5 --quantity 7` stored 7 with exit 0 (the last flag won without a
 * word, where the CSV import refuses a repeated column); the same for two flags of one field
 * (--period and --period_end) and for --kind. Refused by name, nothing sent. */
Test(mvoictl_args, a_measurement_field_given_twice_is_refused)
{
    REFUSED("--quantity and --quantity set the same field", "measure", "add", "--id", "m1",
            "--tender", "T-1", "--kind", "energy", "--quantity", "5", "--quantity", "7");
    REFUSED("--period and --period_end set the same field", "measure", "add", "--id", "m1",
            "--period", "2026-01-01..2026-03-31", "--period_end", "2026-06-30");
    REFUSED("--tender and --tender set the same field", "measure", "whatif", "--id", "m1",
            "--tender", "T-1", "--tender", "T-2");
    REFUSED("--kind and --kind set the same field", "measure", "add", "--id", "m1", "--kind",
            "energy", "--kind", "material", "--mass", "7");
}

/* The cells of one "row;column;value;reason" line (RFC 4180 quotes), into cells; their
 * number. */
static int s_split(const char *line, char cells[][256], int max)
{
    int n = 0;
    size_t k = 0;
    bool quoted = false;
    for (const char *p = line;; p++) {
        if (quoted && *p == '"' && p[1] == '"') {
            cells[n][k++] = *p++;
        } else if (*p == '"' && (quoted || k == 0)) {
            quoted = !quoted;
        } else if ((*p == ';' && !quoted) || *p == '\0' || *p == '\n') {
            cells[n++][k] = '\0';
            k = 0;
            if (*p != ';' || n == max)
                return n;
        } else if (k < 255) {
            cells[n][k++] = *p;
        }
    }
}

/* The refused cells of a measurement import are "row;column;value;reason" lines, as the
 * message after them says and as the tender import writes them: a value or a reason with
 * a ';' in it is quoted. They were written raw, so the id "m;2" and the Dutch reason of a
 * field of another kind ("...opgeslagen; laat de cel leeg...") gave lines of five and six
 * cells that a script split into the wrong columns. */
Test(mvoictl_args, import_error_lines_have_four_cells)
{
    char path[256], out[8192], cells[8][256];
    s_file(path, sizeof path, "bad.csv", "id;tender;kind;quantity;mass\n"
                                         "m1;T-1;energy;5;7\n"
                                         "\"m;2\";T-1;energy;5;\n");
    F.lang = "nl";
    const char *const a[] = { "measure", "import", "--dry-run", path, NULL };
    cr_assert_eq(s_ctl(out, sizeof out, a), 65, "%s", out);
    cr_expect_eq(s_requests(100), 0);
    int lines = 0;
    for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l < '0' || *l > '9')
            continue;   /* "mvoictl: 2 fout(en) in ..." */
        int n = s_split(l, cells, 8);
        cr_expect_eq(n, 4, "%d cells in: %.*s", n, (int)strcspn(l, "\n"), l);
        if (n == 4 && !strcmp(cells[0], "2")) {
            cr_expect_str_eq(cells[1], "mass");
            cr_expect_str_eq(cells[2], "7");
            cr_expect(strstr(cells[3], "; laat de cel leeg") != NULL, "%s", cells[3]);
        } else if (n == 4) {
            cr_expect_str_eq(cells[0], "3");
            cr_expect_str_eq(cells[1], "id");
            cr_expect_str_eq(cells[2], "m;2");
        }
        lines++;
    }
    cr_expect_eq(lines, 2, "%s", out);
}

/* A sheet that cannot be read is named with the reason and nothing is sent: a read error
 * on stdin ended the reading as if the sheet ended there (a shortened sheet imported, or
 * "empty file" for one that failed at once), and `measure import` gave no reason. A
 * directory as stdin fails every read (EISDIR). */
Test(mvoictl_args, an_unreadable_sheet_is_named_not_imported)
{
    char out[4096], missing[256];
    F.in = F.dir;
    const char *const verbs[2][4] = { { "measure", "import", "-", NULL },
                                      { "tender", "import", "-", NULL } };
    for (int i = 0; i < 2; i++) {
        int rc = s_ctl(out, sizeof out, verbs[i]);
        cr_expect_eq(rc, 66, "%s import -: exit %d: %s", verbs[i][0], rc, out);
        cr_expect(strstr(out, "cannot read -: Input/output error") != NULL, "%s", out);
    }
    F.in = NULL;
    snprintf(missing, sizeof missing, "%s/missing.csv", F.dir);
    const char *const a[] = { "measure", "import", missing, NULL };
    cr_expect_eq(s_ctl(out, sizeof out, a), 66, "%s", out);
    cr_expect(strstr(out, "missing.csv: No such file or directory") != NULL, "%s", out);
    cr_expect_eq(s_requests(100), 0);
}

/* The tender group's refusals came in English whatever the language (and the status words
 * it shows, "startsessie gepland", were not taken back); they are in the chosen language,
 * Dutch by default, and name the flag and the value. */
Test(mvoictl_args, tender_refusals_in_dutch)
{
    F.lang = "nl";
    REFUSED("onbekende status 'bogus' (gepland, startsessie-gepland,", "tender", "status",
            "T-1", "bogus");
    REFUSED("gebruik: mvoictl tender status ID STATUS", "tender", "status", "T-1");
    REFUSED("onbekend thema 'xx' (klimaat,", "tender", "list", "--theme", "xx");
    REFUSED("--kind: 'bla' is geen leveringen, diensten of werken", "tender", "add", "--id",
            "T-1", "--kind", "bla");
    REFUSED("--value: '12abc' is geen bedrag", "tender", "add", "--id", "T-1", "--value",
            "12abc");
    REFUSED("--pilot: 'misschien' is geen ja of nee", "tender", "add", "--id", "T-1", "--pilot",
            "misschien");
    REFUSED("--leader: '<x' is geen 'Naam <e-mailadres>'", "tender", "add", "--id", "T-1",
            "--leader", "<x");
    REFUSED("--sroi: 'veel' is geen percentage (bijv. 5% of 2,5%)", "tender", "add", "--id",
            "T-1", "--sroi", "veel");
    REFUSED("--sdg: '19' is geen lijst van SDG's 1 tot en met 17", "tender", "add", "--id",
            "T-1", "--sdg", "19");
    REFUSED("--start: '31-02-2026' is geen datum (dd-mm-jjjj of jjjj-mm-dd)", "tender", "add",
            "--id", "T-1", "--start", "31-02-2026");
    REFUSED("--from: 'gisteren' is geen datum", "tender", "upcoming", "--from", "gisteren");
    REFUSED("--procedure: onbekende procedure 'snel'", "tender", "add", "--id", "T-1",
            "--procedure", "snel");
    REFUSED("optie --expected-version: 'abc' is geen geheel getal van 1 tot en met 4294967295",
            "tender", "update", "T-1", "--title", "x", "--expected-version", "abc");
    REFUSED("onbekende optie --bogus", "tender", "add", "--bogus");
    REFUSED("optie --title heeft een waarde nodig", "tender", "add", "--title");
    REFUSED("tender ambition: geef --theme, --sdg,", "tender", "ambition", "T-1");
    REFUSED("tender add: geef het id van het inkooptraject", "tender", "add", "--title", "x");
    REFUSED("gebruik: mvoictl tender cancel ID --reason TEKST", "tender", "cancel");
    REFUSED("gebruik: mvoictl tender show ID", "tender", "show");
}

Test(mvoictl_args, tender_refusals_in_english_with_lang_en)
{
    REFUSED("unknown status 'bogus' (planned, kickoff_scheduled,", "tender", "status", "T-1",
            "bogus");
    REFUSED("--pilot: 'maybe' is not yes or no", "tender", "add", "--id", "T-1", "--pilot",
            "maybe");
    REFUSED("--start: '31-02-2026' is not a date (dd-mm-yyyy or yyyy-mm-dd)", "tender", "add",
            "--id", "T-1", "--start", "31-02-2026");
    REFUSED("unknown option --bogus", "tender", "list", "--bogus");
}

/* What the Dutch list shows is taken back as a filter: "startsessie gepland" (and its
 * spelling with '-' or '_') asks the service for kick-off-scheduled tenders. */
Test(mvoictl_args, shown_status_words_are_accepted)
{
    char out[4096];
    const char *const a[] = { "tender", "list", "--status", "startsessie gepland", NULL };
    cr_expect_eq(s_ctl(out, sizeof out, a), 69, "%s", out);
    cr_expect_eq(s_requests(200), 1);
    const char *const b[] = { "tender", "list", "--status", "in-uitvoering", NULL };
    cr_expect_eq(s_ctl(out, sizeof out, b), 69, "%s", out);
    cr_expect_eq(s_requests(200), 1);
}

Test(mvoictl_args, whatif_without_id_names_the_option)
{
    REFUSED("measure whatif: pass the measurement's id with --id ID",
            "measure", "whatif", "--tender", "T-1", "--kind", "energy");
}

/* The control: the same commands with good values do ask the service (which never answers
 * here: 69), so the refusals above are the parser's, not a dead endpoint's. */
Test(mvoictl_args, good_values_reach_the_service)
{
    char out[4096];
    const char *const a[] = { "kpi", "show", "--year", "2025", "--quarter", "2", NULL };
    cr_expect_eq(s_ctl(out, sizeof out, a), 69, "%s", out);
    cr_expect_geq(s_requests(200), 1);
    const char *const b[] = { "tender", "upcoming", "--days", "3660", "--limit", "1000", NULL };
    cr_expect_eq(s_ctl(out, sizeof out, b), 69, "%s", out);
    cr_expect_eq(s_requests(200), 1);
}

static void s_help(const char *want, const char *const *args)
{
    char out[1 << 14];
    int rc = s_ctl(out, sizeof out, args);
    cr_expect_eq(rc, 0, "%s %s: exit %d: %s", args[0], args[1] ? args[1] : "", rc, out);
    cr_expect(strstr(out, want) != NULL, "'%s' not in: %s", want, out);
}

#define HELP(want, ...) s_help(want, (const char *const[]){ __VA_ARGS__, NULL })

Test(mvoictl_args, group_help)
{
    HELP("mvoictl report generate", "report", "--help");
    HELP("mvoictl kpi pilots", "kpi", "--help");
    HELP("mvoictl measure whatif --id ID", "measure", "--help");
    HELP("mvoictl tender upcoming", "tender", "-h");
    HELP("mvoictl kpi show", "help", "kpi");
    HELP("usage: mvoictl kpi show [--year Y]", "help", "kpi", "show");
    HELP("mvoictl benchmark show", "help");
    cr_expect_eq(s_requests(100), 0);
    char out[4096];
    const char *const bare[] = { "kpi", NULL };   /* a group without verb: its help, 64 */
    cr_expect_eq(s_ctl(out, sizeof out, bare), 64);
    cr_expect(strstr(out, "mvoictl kpi show") != NULL, "%s", out);
    const char *const nope[] = { "help", "nope", NULL };
    cr_expect_eq(s_ctl(out, sizeof out, nope), 64);
}

/* `health kpi-aggregator` (the service is "kpi") asked a service of that name, printed
 * "kpi-aggregator DOWN (null)" and exited 69: a monitoring check with a typo reported an
 * outage. A name mvoictl has no endpoint for is refused, 64, nothing asked (the right
 * names before it neither). */
Test(mvoictl_args, health_of_an_unknown_service_is_a_usage_error)
{
    REFUSED("unknown service 'kpi-aggregator': calendar, impact, kpi, notifier or report",
            "health", "calendar", "kpi-aggregator");
    F.lang = "nl";
    REFUSED("onbekende dienst 'foo': calendar, impact, kpi, notifier of report", "system",
            "health", "foo");
}

/* What --help says of each code is what the code is used for. */
Test(mvoictl_args, help_lists_every_exit_code)
{
    char out[1 << 15];
    const char *const a[] = { "--help", NULL };
    cr_assert_eq(s_ctl(out, sizeof out, a), 0);
    const char *want[] = { "0 ok", "1 refused", "64 usage", "65 data refused (invalid, not found",
                           "66 no input", "69 service unavailable", "70 internal",
                           "71 ZeroMQ", "74 output cannot be written", "77 CURVE key refused", "78 configuration", NULL };
    for (int i = 0; want[i]; i++)
        cr_expect(strstr(out, want[i]) != NULL, "'%s' not in the help", want[i]);
}

/* ------------------------------------------------------------------ measurement dates */

/* Of each measurement the import sent (the fake never answers: the first request only),
 * "start end" of its period, or with quantity its energy quantity in thousandths, per row
 * in out; how many rows. */
static int s_sent(char out[][32], int max, bool quantity)
{
    int n = 0;
    zmq_pollitem_t it = { F.router, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 100) <= 0)
        return 0;
    zmq_msg_t m;
    for (;;) {   /* identity, then the envelope */
        zmq_msg_init(&m);
        zmq_msg_recv(&m, F.router, 0);
        if (!zmq_msg_more(&m))
            break;
        zmq_msg_close(&m);
    }
    Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    cr_assert(e && e->body_case == MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS);
    for (size_t i = 0; i < e->submit_measurements->n_measurements && n < max; i++, n++) {
        const Mvoi__Measurement *x = e->submit_measurements->measurements[i];
        if (quantity)
            snprintf(out[n], sizeof out[n], "%lld",
                     x->energy ? (long long)x->energy->quantity_milli : -1LL);
        else
            snprintf(out[n], sizeof out[n], "%s %s", x->period_start ? x->period_start : "-",
                     x->period_end ? x->period_end : "-");
    }
    mvoi__envelope__free_unpacked(e, NULL);
    s_requests(100);   /* the rest (retries) */
    return n;
}

/* A sheet whose dates all read one way is imported with them: a Dutch (';') sheet day
 * first, "03/04/2026" 3 April; ISO in any sheet, also beside dd-mm-jjjj. */
Test(mvoictl_args, dutch_and_iso_dates_are_imported)
{
    static const struct { const char *name, *text, *want[2]; } sheets[] = {
        { "nl.csv", "id;tender;kind;carrier;quantity;period_start;period_end\n"
                    "m1;T-1;energy;hvo100;10;04-03-2026;31-03-2026\n"
                    "m2;T-1;energy;hvo100;20;03/04/2026;1-5-2026\n",
          { "2026-03-04 2026-03-31", "2026-04-03 2026-05-01" } },
        { "iso.csv", "id,tender,kind,carrier,quantity,period\n"
                     "m1,T-1,energy,hvo100,10,2026-03-04..2026-03-31\n"
                     "m2,T-1,energy,hvo100,20,2026-04-03..2026-05-01\n",
          { "2026-03-04 2026-03-31", "2026-04-03 2026-05-01" } },
        { "nl-iso.csv", "id;tender;kind;carrier;quantity;period_start;period_end\n"
                        "m1;T-1;energy;hvo100;10;2026-03-04;31-03-2026\n"
                        "m2;T-1;energy;hvo100;20;03-04-2026;2026-05-01\n",
          { "2026-03-04 2026-03-31", "2026-04-03 2026-05-01" } },
    };
    for (size_t s = 0; s < sizeof sheets / sizeof sheets[0]; s++) {
        char path[256], out[4096], got[4][32];
        s_file(path, sizeof path, sheets[s].name, sheets[s].text);
        const char *const a[] = { "measure", "import", "--dry-run", path, NULL };
        int rc = s_ctl(out, sizeof out, a);
        cr_expect_neq(rc, 65, "%s: cells refused: %s", sheets[s].name, out);
        int n = s_sent(got, 4, false);
        cr_expect_eq(n, 2, "%s: %d rows sent: %s", sheets[s].name, n, out);
        for (int i = 0; i < n && i < 2; i++)
            cr_expect_str_eq(got[i], sheets[s].want[i], "%s row %d", sheets[s].name, i + 2);
    }
}

/* The refusals of a sheet (exit 65, nothing sent): its "row;column;value;reason" lines
 * are want's, each a row, column and value and a part of the reason, in this order (NULL
 * ends the list). */
static void s_sheet_refused(const char *name, const char *text, const char *const (*want)[4])
{
    char path[256], out[8192], cells[8][256];
    s_file(path, sizeof path, name, text);
    F.lang = "nl";
    const char *const a[] = { "measure", "import", "--dry-run", path, NULL };
    cr_assert_eq(s_ctl(out, sizeof out, a), 65, "%s: %s", name, out);
    F.lang = "en";
    cr_expect_eq(s_requests(100), 0, "%s: rows were sent", name);
    int k = 0;
    for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l < '0' || *l > '9')
            continue;
        int n = s_split(l, cells, 8);
        cr_assert(want[k][0], "%s: one line more: %.*s", name, (int)strcspn(l, "\n"), l);
        cr_expect(n == 4 && !strcmp(cells[0], want[k][0]) && !strcmp(cells[1], want[k][1]) &&
                  !strcmp(cells[2], want[k][2]) && strstr(cells[3], want[k][3]),
                  "%s: line %d is not %s;%s;%s;...%s...: %.*s", name, k + 1, want[k][0],
                  want[k][1], want[k][2], want[k][3], (int)strcspn(l, "\n"), l);
        k++;
    }
    cr_expect_null(want[k][0], "%s: fewer lines than expected: %s", name, out);
}

/* A sheet that mixes day-month and month-day is refused, at the row and cell of each date
 * whose reading it makes a guess, naming the row that shows the other order. In a Dutch
 * sheet "03/04/2026" had been taken as 3 April next to "12/25/2026" (refused alone, as no
 * date: corrected, the import went through with the guess); a ',' sheet took
 * "25/12/2026" and "12/25/2026" each its own way, without a word. */
Test(mvoictl_args, a_sheet_that_mixes_date_orders_is_refused)
{
    s_sheet_refused("mixed-nl.csv",
                    "id;tender;kind;carrier;quantity;period_start;period_end\n"
                    "m1;T-1;energy;hvo100;10;03/04/2026;30/04/2026\n"
                    "m2;T-1;energy;hvo100;20;12/25/2026;31-12-2026\n",
                    (const char *const[][4]){
                        { "3", "period_start", "12/25/2026", "geen datum (dd-mm-jjjj" },
                        { "2", "period_start", "03/04/2026",
                          "leest als dag-maand en als maand-dag, en rij 3 heeft '12/25/2026', "
                          "dat alleen als maand-dag leest: het blad mengt datumvolgordes; "
                          "schrijf de datums als dd-mm-jjjj of jjjj-mm-dd" },
                        { NULL } });
    s_sheet_refused("mixed-en.csv",
                    "id,tender,kind,carrier,quantity,period\n"
                    "m1,T-1,energy,hvo100,10,25/12/2026..31/12/2026\n"
                    "m2,T-1,energy,hvo100,20,12/25/2026..12/31/2026\n",
                    (const char *const[][4]){
                        { "3", "period", "12/25/2026",
                          "leest alleen als maand-dag, maar rij 2 heeft '25/12/2026', dat "
                          "alleen als dag-maand leest: het blad mengt datumvolgordes" },
                        { "3", "period", "12/31/2026", "maar rij 2 heeft '25/12/2026'" },
                        { NULL } });
}

/* A day that does not exist is refused at its row and cell, and nothing is imported. */
Test(mvoictl_args, an_impossible_date_is_refused_at_its_row)
{
    s_sheet_refused("feb31.csv",
                    "id;tender;kind;carrier;quantity;period_start;period_end\n"
                    "m1;T-1;energy;hvo100;10;01-02-2026;28-02-2026\n"
                    "m2;T-1;energy;hvo100;20;01-02-2026;31-02-2026\n",
                    (const char *const[][4]){
                        { "3", "period_end", "31-02-2026", "'31-02-2026': geen datum" },
                        { NULL } });
}

/* A Dutch (';') sheet's "1.250" is 1250 (and its "2,5" two and a half); once the sheet has a
 * number with a decimal point ("2.5"), its "1.250" may be 1,25 as well: refused at its row
 * and cell, naming that number. It had been taken as 1250 litres beside 2,5 litres. */
Test(mvoictl_args, a_dutch_sheet_that_mixes_number_styles_is_refused)
{
    char path[256], out[4096], got[4][32];
    s_file(path, sizeof path, "nl-num.csv", "id;tender;kind;carrier;quantity\n"
                                            "m1;T-1;energy;hvo100;2,5\n"
                                            "m2;T-1;energy;hvo100;1.250\n");
    const char *const a[] = { "measure", "import", "--dry-run", path, NULL };
    cr_expect_neq(s_ctl(out, sizeof out, a), 65, "%s", out);
    cr_assert_eq(s_sent(got, 4, true), 2, "%s", out);
    cr_expect_str_eq(got[0], "2500");      /* 2,5 l */
    cr_expect_str_eq(got[1], "1250000");   /* 1.250 l */
    s_sheet_refused("mixed-num.csv",
                    "id;tender;kind;carrier;quantity\n"
                    "m1;T-1;energy;hvo100;2.5\n"
                    "m2;T-1;energy;hvo100;1.250\n",
                    (const char *const[][4]){
                        { "3", "quantity", "1.250",
                          "leest als duizendtallen in een Nederlands (';') blad, maar rij 2 "
                          "heeft '2.5' in quantity, met een decimale punt" },
                        { NULL } });
}

/* A sheet with a phase column whose cell is empty in a row: ambition or realisation is not
 * ours to pick (it moves the figure to another column of the KPIs), so the row is refused
 * and nothing is sent. It had been sent as a realisation. A sheet without the column is a
 * sheet of realisations, as `measure add` without --phase. */
Test(mvoictl_args, an_empty_phase_in_a_sheet_with_phases_is_refused)
{
    s_sheet_refused("phase.csv",
                    "id;tender;phase;kind;carrier;quantity\n"
                    "m1;T-1;ambition;energy;hvo100;10\n"
                    "m2;T-1;;energy;hvo100;20\n",
                    (const char *const[][4]){
                        { "3", "phase", "",
                          "leeg, terwijl het blad een kolom phase heeft: schrijf ambition of "
                          "realisation" },
                        { NULL } });
    char path[256], out[4096];
    s_file(path, sizeof path, "nophase.csv", "id;tender;kind;carrier;quantity\n"
                                             "m1;T-1;energy;hvo100;10\n");
    const char *const a[] = { "measure", "import", "--dry-run", path, NULL };
    cr_expect_neq(s_ctl(out, sizeof out, a), 65, "%s", out);
    cr_expect_gt(s_requests(100), 0, "%s", out);
}

/* Without --buyer and MVOI_BUYER mvoictl took heerlen: a venlo adviser's sheet without a
 * buyer column went onto heerlen's tender of the same id, exit 0. Now every command for a
 * buyer is refused, exit 64, naming what to give, and nothing reaches a service; a CSV
 * import may take the buyer from its buyer column, if the column names one buyer. Health
 * and key files need none. */
Test(mvoictl_args, without_a_buyer_nothing_is_sent)
{
    char m[256], t[256], two[256];
    s_file(m, sizeof m, "venlo-m.csv", "id;tender;kind;carrier;quantity;period_start;period_end\n"
           "vm1;X-001;energy;hvo100;10;01-01-2026;31-03-2026\n");
    s_file(t, sizeof t, "venlo-t.csv", "id;titel;soort\nX-001;Riolering Venlo;werken\n");
    s_file(two, sizeof two, "two.csv", "id;titel;soort;buyer\nX-001;Riolering;werken;venlo\n"
           "X-002;Asfalt;werken;heerlen\n");
    F.no_buyer = true;
    F.lang = "nl";
    const char *const nl = "geen organisatie: geef --buyer ID of zet MVOI_BUYER";
    REFUSED(nl, "tender", "show", "X-001");
    REFUSED(nl, "kpi", "show", "--year", "2026");
    REFUSED(nl, "tender", "add", "--id", "X-001", "--title", "t", "--kind", "werken");
    REFUSED("geen organisatie: rij 2 van het blad noemt geen buyer", "measure", "import", m);
    REFUSED("geen organisatie: het blad heeft geen kolom buyer", "tender", "import", t);
    REFUSED("geen organisatie: het blad heeft geen kolom buyer", "tender", "import",
            "--dry-run", t);
    REFUSED("het blad noemt er meer dan één (rij 2: venlo, rij 3: heerlen)", "tender",
            "import", two);
    F.lang = "en";
    REFUSED("no buyer: give --buyer ID or set MVOI_BUYER", "tender", "show", "X-001");
    REFUSED("no buyer: row 2 of the sheet names no buyer", "measure", "import", m);
    /* what needs no buyer still goes: health asks every service */
    char out[4096];
    const char *const h[] = { "system", "health", "calendar", NULL };
    cr_expect_neq(s_ctl(out, sizeof out, h), 64, "%s", out);
    cr_expect_geq(s_requests(500), 1, "health was not sent");
    /* the flag or the variable: sent for that buyer */
    F.no_buyer = false;
    const char *const a[] = { "tender", "show", "X-001", NULL };
    cr_expect_eq(s_ctl(out, sizeof out, a), 69, "%s", out);
    cr_expect_eq(s_requests(200), 1);
}

/* A date cell longer than a date can be was refused as "geen datum ... of bestaat niet", as
 * if read; it is refused by its length, named. */
Test(mvoictl_args, an_over_long_date_is_refused_by_its_length)
{
    s_sheet_refused("long-date.csv",
                    "id;tender;kind;carrier;quantity;period_start;period_end\n"
                    "m1;T-1;energy;hvo100;10;01-03-2026 00:00:00:00:00:00:00:00:00:00:00;"
                    "31-03-2026\n",
                    (const char *const[][4]){
                        { "2", "period_start", "01-03-2026 00:00:00:00:00:00:00:00:00:00:00",
                          "langer dan 39 bytes: geen datum (dd-mm-jjjj of jjjj-mm-dd)" },
                        { NULL } });
}
