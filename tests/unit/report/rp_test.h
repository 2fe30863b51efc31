/*  rp_test: what the report's unit tests share: one buyer's quarter as an input, and a
 *  report rendered into memory. */
#ifndef RP_TEST_H
#define RP_TEST_H

#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* A fresh input (rp_input_init) of buyer's year and quarter, made in February 2027, when
 * every quarter of 2026 has ended. */
void rp_test_input(rp_input_t *in, const char *buyer, uint32_t year, uint32_t quarter);
/* What fn wrote for r, NUL-terminated (free it); the test fails when fn does. */
char *rp_test_render(const rp_report_t *r, int (*fn)(const rp_report_t *, FILE *));
/* The HTML page of in's report (free it). */
char *rp_test_html(rp_input_t *in);

#endif
