/*  ctl_kpi_line: one total of `mvoictl kpi watch` as its line (ctl.h). */
#include "ctl.h"

int ctl_kpi_line(const ctl_t *ctl, FILE *out, const Mvoi__KpiTotal *t, bool json,
                 const char *doc)
{
    if (json) {
        /* No document (out of memory building it): a plain-text line among the JSON lines
         * broke a consumer that reads each line as JSON. Said on stderr; the watch stops. */
        if (!doc)
            return ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.oom");
        fprintf(out, "%s\n", doc);
        return CTL_EX_OK;
    }
    fprintf(out, "%s ambition=%lld realisation=%lld projects=%lld seq=%llu\n",
            t->key ? t->key : "", (long long)t->ambition, (long long)t->realisation,
            (long long)t->projects, (unsigned long long)t->seq);
    return CTL_EX_OK;
}
