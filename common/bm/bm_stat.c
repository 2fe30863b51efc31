/*  bm_stat: quantiles, percentile and quartile of an ascending array. See bm.h. */
#include "bm.h"

#include <math.h>

double bm_quantile(const double *x, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

double bm_percentile(const double *x, size_t n, double v)
{
    if (n == 0)
        return NAN;
    size_t below = 0, equal = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < v)
            below++;
        else if (x[i] == v)
            equal++;
    }
    return 100.0 * ((double)below + (double)equal / 2.0) / (double)n;
}

int bm_quartile(double v, double q1, double med, double q3)
{
    if (v < q1)
        return 1;
    if (v < med)
        return 2;
    if (v < q3)
        return 3;
    return 4;
}
