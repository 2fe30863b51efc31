/*  explain: a measurement's calculation spelled out with its sources, for people.
 *
 *  "10 000 l × (3,251 − 0,468) kg CO2-eq/l = 27 830 kg CO2-eq — CO2emissiefactoren.nl 2026
 *  (co2 edition 2026: hvo100 vs diesel_b7)". Numbers are written the Dutch way (decimal
 *  comma, a space between thousands) and exactly: a figure is never rounded for display
 *  beyond trailing zeros. The factors are read back from the loaded tables by the edition
 *  recorded in the impact's FactorRefs, so the text shows what was used, not what is
 *  current. Pure: no I/O.
 */
#ifndef MVOI_IMPACT_EXPLAIN_H
#define MVOI_IMPACT_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "factors.h"
#include "impact.pb-c.h"

/*  Write the explanation of `m` with its computed impact `imp` into buf (always
 *  NUL-terminated, truncated when too long). Returns the length written, or -EINVAL. */
int impact_explain(const factors_t *f, const Mvoi__Measurement *m, const Mvoi__Impact *imp,
                   char *buf, size_t len);

/*  value / 10^decimals in Dutch notation ("27 830", "0,468", "-1 234,5"): exact, trailing
 *  fractional zeros dropped. Returns buf. */
const char *impact_fmt_fixed(char *buf, size_t len, int64_t value, int decimals);

#endif
