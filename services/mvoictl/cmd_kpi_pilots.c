/*  mvoictl kpi pilots: KPI 6's status breakdown (docs/domain.md#pilots): the distinct
 *  pilots of the buyer's year (or quarter), each under the furthest stage it reported. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctl.h"

int ctl_kpi_pilots(ctl_t *ctl, int argc, char **argv)
{
    long year = ctl_this_year(), quarter = 0;   /* absent --quarter: the whole year */
    bool json = ctl->json;
    static const struct option opts[] = {
        { "year", required_argument, NULL, 'y' }, { "quarter", required_argument, NULL, 'q' },
        { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
    int c, ex = CTL_EX_OK;
    optind = 0;
    while ((c = getopt_long(argc, argv, "y:q:j", opts, NULL)) != -1) {
        switch (c) {
        case 'y': ex = ctl_opt_int(ctl, "year", optarg, 1900, 2999, &year); break;
        case 'q': ex = ctl_opt_int(ctl, "quarter", optarg, 1, 4, &quarter); break;
        case 'j': json = true; break;
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bad_option");
        }
        if (ex != CTL_EX_OK)
            return ex;
    }
    if ((ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    Mvoi__KpiPilotStatusQuery q = MVOI__KPI_PILOT_STATUS_QUERY__INIT;
    q.buyer = (char *)ctl->buyer;
    q.has_year = q.has_quarter = true;
    q.year = (uint32_t)year;
    q.quarter = (uint32_t)quarter;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_KPI_PILOT_STATUS_QUERY;
    req.kpi_pilot_status_query = &q;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "kpi", &req, &r);
    if (ex == 0)
        ex = ctl_check_error(ctl, r);
    if (ex == 0 && r->body_case != MVOI__ENVELOPE__BODY_KPI_PILOT_STATUS)
        ex = CTL_EX_SOFTWARE;
    if (ex != 0) {
        ctl_free(&r);
        return ex;
    }
    const Mvoi__KpiPilotStatus *s = r->kpi_pilot_status;
    if (json) {
        ctl_print_json(stdout, &s->base);
    } else {
        char shown[32];
        if (quarter)
            snprintf(shown, sizeof shown, "Q%ld %ld", quarter, year);
        else
            snprintf(shown, sizeof shown, "%ld", year);
        printf(ctl_text(ctl, "ctl.kpi.pilots.title"), ctl->buyer, shown);
        printf("\n");
        printf("%-20s %6lld\n", ctl_text(ctl, "ctl.kpi.pilots.gestart"), (long long)s->gestart);
        printf("%-20s %6lld\n", ctl_text(ctl, "ctl.kpi.pilots.lopend"), (long long)s->lopend);
        printf("%-20s %6lld\n", ctl_text(ctl, "ctl.kpi.pilots.afgerond"),
               (long long)s->afgerond);
        if (s->unspecified)
            printf("%-20s %6lld\n", ctl_text(ctl, "ctl.kpi.pilots.unspecified"),
                   (long long)s->unspecified);
        printf("%-20s %6lld\n", ctl_text(ctl, "ctl.kpi.pilots.total"), (long long)s->pilots);
        printf(ctl_text(ctl, "ctl.kpi.pilots.reports"), (long long)s->reports);
        printf("\n");
    }
    ctl_free(&r);
    return CTL_EX_OK;
}
