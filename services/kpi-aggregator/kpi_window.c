/*  kpi_window: the date window (year, quarter) of a measurement. See kpi_core.h. */
#include "kpi_core.h"

#include <errno.h>
#include <string.h>

int kpi_date_window(const char *d, uint32_t *year, uint32_t *quarter)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return -EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return -EINVAL;
    /* (digits checked above: no atoi, which went through strtol three times per event) */
    unsigned y = (unsigned)((d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
                            (d[3] - '0'));
    unsigned m = (unsigned)((d[5] - '0') * 10 + (d[6] - '0'));
    unsigned day = (unsigned)((d[8] - '0') * 10 + (d[9] - '0'));
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || day < 1 || day > 31)
        return -EINVAL;
    *year = y;
    *quarter = (m - 1) / 3 + 1;
    return 0;
}
