#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* Capture what the logger writes to stdout (fd 1) in a temporary file. */
static int s_saved = -1;
static FILE *s_tmp;

static void s_capture(void)
{
    fflush(stdout);
    s_tmp = tmpfile();
    cr_assert_not_null(s_tmp);
    s_saved = dup(STDOUT_FILENO);
    dup2(fileno(s_tmp), STDOUT_FILENO);
}

/* Returns the captured text (malloc'ed) and restores stdout. */
static char *s_captured(void)
{
    fflush(stdout);
    dup2(s_saved, STDOUT_FILENO);
    close(s_saved);
    long n = ftell(s_tmp);
    rewind(s_tmp);
    char *buf = calloc(1, (size_t) n + 1);
    cr_assert_eq(fread(buf, 1, (size_t) n, s_tmp), (size_t) n);
    fclose(s_tmp);
    return buf;
}

static void s_setup(void) { clock_set_fixed(1795843693123LL); }
static void s_teardown(void) { clock_set_source(NULL, NULL); }

TestSuite(log, .init = s_setup, .fini = s_teardown);

Test(log, json_line_has_the_fields)
{
    log_init("calendar", "json", "info");
    s_capture();
    const char *kv[] = { "tender_id", "T-42", "buyer", "heerlen", NULL };
    log_emit(LOG_WARN, "request_rejected", kv, "bad %s: %d", "field", 7);
    char *out = s_captured();

    size_t len = strlen(out);
    cr_assert_gt(len, 0);
    cr_assert_eq(out[len - 1], '\n', "a log record is one whole line");
    cr_assert_eq(strchr(out, '\n'), out + len - 1, "exactly one line: %s", out);
    json_error_t jerr;
    json_t *o = json_loads(out, 0, &jerr);
    cr_assert_not_null(o, "not JSON: %s (%s)", out, jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(o, "timestamp")), "2026-11-28T05:28:13.123Z");
    cr_assert_str_eq(json_string_value(json_object_get(o, "severity_text")), "WARN");
    cr_assert_str_eq(json_string_value(json_object_get(o, "service.name")), "calendar");
    cr_assert_str_eq(json_string_value(json_object_get(o, "event")), "request_rejected");
    cr_assert_str_eq(json_string_value(json_object_get(o, "body")), "bad field: 7");
    cr_assert_str_eq(json_string_value(json_object_get(o, "tender_id")), "T-42");
    cr_assert_str_eq(json_string_value(json_object_get(o, "buyer")), "heerlen");
    cr_assert_null(strstr(out, "\", \""), "compact JSON: %s", out);
    cr_assert_not_null(strstr(out, "\"severity_text\":\"WARN\""), "compact JSON: %s", out);
    json_decref(o);
    free(out);
}

Test(log, level_filter_drops_lower_levels)
{
    log_init("calendar", "json", "warn");
    s_capture();
    log_debug("a", "debug");
    log_info("b", "info");
    log_warn("c", "warn");
    log_error("d", "error");
    char *out = s_captured();
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 2, "got: %s", out);
    cr_assert_null(strstr(out, "\"event\":\"a\""));
    cr_assert_null(strstr(out, "\"event\":\"b\""));
    cr_assert_not_null(strstr(out, "\"severity_text\":\"WARN\""));
    cr_assert_not_null(strstr(out, "\"severity_text\":\"ERROR\""));
    free(out);
}

Test(log, debug_level_lets_everything_through)
{
    log_init("x", "json", "DEBUG");
    s_capture();
    log_debug("a", "debug");
    char *out = s_captured();
    cr_assert_not_null(strstr(out, "\"severity_text\":\"DEBUG\""));
    free(out);
}

Test(log, text_format_for_humans)
{
    log_init("calendar", "text", "info");
    s_capture();
    const char *kv[] = { "tender_id", "T-42", "note", "two words", NULL };
    log_emit(LOG_INFO, "tender_registered", kv, "registered %s", "T-42");
    char *out = s_captured();
    cr_assert_str_eq(out, "2026-11-28T05:28:13.123Z INFO calendar tender_registered: "
                          "registered T-42 tender_id=T-42 note=\"two words\"\n");
    free(out);
}

Test(log, level_parse)
{
    log_level_t l;
    cr_assert_eq(log_level_parse("debug", &l), 0);
    cr_assert_eq(l, LOG_DEBUG);
    cr_assert_eq(log_level_parse("WARN", &l), 0);
    cr_assert_eq(l, LOG_WARN);
    cr_assert_eq(log_level_parse("error", &l), 0);
    cr_assert_eq(l, LOG_ERROR);
    cr_assert_lt(log_level_parse("loud", &l), 0);
    cr_assert_lt(log_level_parse(NULL, &l), 0);
}

Test(log, long_body_is_truncated_with_marker)
{
    log_init("calendar", "json", "info");
    size_t big = 100000;
    char *s = malloc(big + 1);
    memset(s, 'a', big);
    s[big] = '\0';
    s_capture();
    log_info("big", "%s", s);
    char *out = s_captured();
    json_t *o = json_loads(out, 0, NULL);
    cr_assert_not_null(o);
    const char *body = json_string_value(json_object_get(o, "body"));
    cr_assert_lt(strlen(body), big);
    cr_assert_not_null(strstr(body, "(truncated)"));
    json_decref(o);
    free(out);
    free(s);
}

Test(log, escapes_and_bad_utf8_stay_valid_json)
{
    log_init("calendar", "json", "info");
    s_capture();
    const char *kv[] = { "body", "attr that collides", "raw", "\xff\xfe", NULL };
    log_info("quote", "he said \"hi\"\nand left \\ \xc3");
    log_emit(LOG_INFO, "collide", kv, "x");
    char *out = s_captured();
    char *second = strchr(out, '\n') + 1;
    second[-1] = '\0';
    json_t *a = json_loads(out, 0, NULL), *b = json_loads(second, 0, NULL);
    cr_assert_not_null(a, "%s", out);
    cr_assert_not_null(b, "%s", second);
    cr_assert_not_null(strstr(json_string_value(json_object_get(a, "body")), "\"hi\""));
    cr_assert_str_eq(json_string_value(json_object_get(b, "body")), "x");
    cr_assert_str_eq(json_string_value(json_object_get(b, "attr.body")), "attr that collides");
    json_decref(a);
    json_decref(b);
    free(out);
}
