/*  The PDF is printed from the HTML file by its file URL. A reports directory with '#', '%',
 *  '?' or a space in its path named another file in the URL ("a#b" is file "a" with a
 *  fragment, "%41" is "A"): Chromium found no page and no PDF came. The URL is
 *  percent-encoded, and a path too long for the buffers is refused (-ENAMETOOLONG), never
 *  cut to another file's name. Expected URLs are written out here.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

Test(pdf_path, the_file_url_is_percent_encoded)
{
    char url[256], out[256];
    char *argv[RP_PDF_ARGC + 1];
    cr_assert_eq(rp_pdf_argv("/usr/bin/chromium", "/srv/rapporten #2/c%41 d?/r-\xc3\xa9.html",
                             "/srv/x.pdf", url, sizeof url, out, sizeof out, argv), 0);
    cr_expect_str_eq(url, "file:///srv/rapporten%20%232/c%2541%20d%3F/r-%C3%A9.html");
    cr_expect_str_eq(argv[RP_PDF_ARGC - 1], url);
    cr_expect_str_eq(out, "--print-to-pdf=/srv/x.pdf");
    /* a plain path stays as it is */
    cr_assert_eq(rp_pdf_argv("/usr/bin/chromium", "/srv/heerlen/2026-q1/r.html", "/srv/x.pdf",
                             url, sizeof url, out, sizeof out, argv), 0);
    cr_expect_str_eq(url, "file:///srv/heerlen/2026-q1/r.html");
    /* "file://" + 9 bytes fits 17 with its terminator; one byte more does not, and "#"
     * takes three */
    cr_expect_eq(rp_pdf_argv("c", "/a/b/c/de", "/p", url, 17, out, sizeof out, argv), 0);
    cr_expect_eq(rp_pdf_argv("c", "/a/b/c/def", "/p", url, 17, out, sizeof out, argv),
                 -ENAMETOOLONG);
    cr_expect_eq(rp_pdf_argv("c", "/a/b/c/#", "/p", url, 17, out, sizeof out, argv),
                 -ENAMETOOLONG);
    cr_expect_eq(rp_pdf_argv("c", "/a", "/0123456789", url, 17, out, 25, argv), -ENAMETOOLONG);
}

/* The whole way: a report's HTML in a directory named "a#b %41" prints to a PDF that holds
 * the report (it was no PDF at all). */
Test(pdf_path, a_report_in_a_directory_with_url_characters_prints, .timeout = 120)
{
    const char *chromium = "/usr/bin/chromium";
    if (access(chromium, X_OK) != 0 || system("command -v pdftotext >/dev/null 2>&1") != 0)
        cr_skip_test("needs chromium and pdftotext");
    char base[] = "/tmp/rp-pdfpath-XXXXXX";
    cr_assert(mkdtemp(base));
    char dir[128], hp[160], pp[160], cmd[512];
    snprintf(dir, sizeof dir, "%s/a#b %%41", base);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(hp, sizeof hp, "%s/r.html", dir);
    snprintf(pp, sizeof pp, "%s/r.pdf", dir);
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    snprintf(in.buyer_name, sizeof in.buyer_name, "Gemeente Heerlen");
    in.year = 2026;
    in.quarter = 1;
    in.generated_ms = 1798758000000LL + 86400000LL * 40;
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    FILE *f = fopen(hp, "w");
    cr_assert(f);
    cr_assert_eq(rp_render_html(&r, f), 0);
    fclose(f);
    cr_assert_eq(rp_pdf_print(chromium, hp, pp, 90000), 0);
    cr_assert_eq(access(pp, R_OK), 0, "no PDF printed from %s", hp);
    snprintf(cmd, sizeof cmd, "pdftotext '%s' - | grep -c 'Gemeente Heerlen'", pp);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    int n = 0;
    cr_expect_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    cr_expect_gt(n, 0, "the PDF does not hold the report");
    unlink(pp);
    unlink(hp);
    rmdir(dir);
    rmdir(base);
    rp_model_free(&r);
    rp_input_free(&in);
}
