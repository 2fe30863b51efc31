/*  explain: a measurement's calculation spelled out with its sources, for people.
 *
 *  "10.000 l hvo100 in plaats van diesel_b7: 10.000 l × (3,251 − 0,468) kg CO2-eq/l =
 *  27.830 kg CO2-eq — CO2emissiefactoren.nl 2026 (tabel co2, editie 2026: diesel_b7)", or in
 *  English "10,000 l hvo100 instead of diesel_b7: ... = 27,830 kg CO2-eq — ... (table co2,
 *  edition 2026: diesel_b7)". The words come from the message catalogue ("explain.*"), the
 *  figures are grouped as the language writes them (Dutch 1.234,5; English 1,234.5) and
 *  exactly: a figure is never rounded for display beyond trailing zeros. The factors are
 *  read back from the loaded tables by the edition recorded in the impact's FactorRefs, so
 *  the text shows what was used, not what is current. Pure: no I/O.
 */
#ifndef MVOI_IMPACT_EXPLAIN_H
#define MVOI_IMPACT_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "factors.h"
#include "impact.pb-c.h"
#include "text.h"

/*  Write the explanation of `m` with its computed impact `imp` in lang into buf (always
 *  NUL-terminated, truncated when too long). Returns the length written, or -EINVAL (also
 *  for a lang other than TEXT_NL / TEXT_EN). */
int impact_explain(const factors_t *f, const Mvoi__Measurement *m, const Mvoi__Impact *imp,
                   text_lang_t lang, char *buf, size_t len);

/*  value / 10^decimals as lang writes it (Dutch "27.830", "0,468", "-1.234,5"; English
 *  "27,830", "0.468", "-1,234.5"): exact, trailing fractional zeros dropped. Returns buf. */
const char *impact_fmt_fixed_lang(char *buf, size_t len, int64_t value, int decimals,
                                  text_lang_t lang);
/*  An amount in cents with both its cents, as lang writes money ("30.049,00", "30,049.00").
 *  Returns buf. */
const char *impact_fmt_cents(char *buf, size_t len, int64_t cents, text_lang_t lang);
/*  impact_fmt_fixed_lang in Dutch. */
const char *impact_fmt_fixed(char *buf, size_t len, int64_t value, int decimals);

#endif
