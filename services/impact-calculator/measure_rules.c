/*  measure_rules: envelope-level validation of a Measurement, and impact differences. */
#include "measure_rules.h"
#include "fixed.h"
#include "mvoi_id.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define S_INVALID MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

/* Free text may be any UTF-8, but no control characters (they break logs and CSV). */
static bool
s_is_text(const char *s, size_t max)
{
    if (strlen(s) > max)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int
s_days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int
measure_parse_date(const char *text, int *year, int *month, int *day)
{
    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return -EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return -EINVAL;
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int m = (text[5] - '0') * 10 + (text[6] - '0');
    int d = (text[8] - '0') * 10 + (text[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > s_days_in_month(y, m))
        return -EINVAL;
    if (year)
        *year = y;
    if (month)
        *month = m;
    if (day)
        *day = d;
    return 0;
}

int
measure_year(const Mvoi__Measurement *m)
{
    int y;
    if (!m || measure_parse_date(m->period_start, &y, NULL, NULL) < 0)
        return -EINVAL;
    return y;
}

static int
s_date(const char *text, const char *field, int *ymd, impact_error_t *err)
{
    int y, mo, d;
    if (!text || !*text)
        return impact_error_set(err, -EINVAL, S_INVALID, field, "missing (YYYY-MM-DD)");
    if (measure_parse_date(text, &y, &mo, &d) < 0)
        return impact_error_set(err, -EINVAL, S_INVALID, field,
                                "'%.16s' is not a valid YYYY-MM-DD date", text);
    if (y < MEASURE_YEAR_MIN || y > MEASURE_YEAR_MAX)
        return impact_error_set(err, -EINVAL, S_INVALID, field, "year %d outside %d..%d", y,
                                MEASURE_YEAR_MIN, MEASURE_YEAR_MAX);
    *ymd = y * 10000 + mo * 100 + d;
    return 0;
}

int
measure_validate(const Mvoi__Measurement *m, impact_error_t *err)
{
    if (!m)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement", "missing");
    if (!m->id || !*m->id)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.id", "missing");
    /* Ids become LMDB keys, log fields and URL path segments: the one rule of mvoi_id.h. */
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check_str(MVOI_ID_MEASUREMENT, m->id, why, sizeof why) != 0)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.id", "%s", why);
    if (!m->tender_id || !*m->tender_id)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.tender_id", "missing");
    if (mvoi_id_check_str(MVOI_ID_TENDER, m->tender_id, why, sizeof why) != 0)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.tender_id", "%s", why);
    if (!m->has_phase || (m->phase != MVOI__PHASE__PHASE_AMBITION
                          && m->phase != MVOI__PHASE__PHASE_REALISATION))
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.phase",
                                "must be PHASE_AMBITION or PHASE_REALISATION");
    int start, end;
    if (s_date(m->period_start, "measurement.period_start", &start, err) < 0
        || s_date(m->period_end, "measurement.period_end", &end, err) < 0)
        return -EINVAL;
    if (end < start)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.period_end",
                                "%s is before period_start %s", m->period_end, m->period_start);
    if (!m->submitter || !*m->submitter)
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.submitter", "missing");
    if (!s_is_text(m->submitter, MEASURE_NAME_MAX))
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.submitter",
                                "longer than %d bytes or control characters", MEASURE_NAME_MAX);
    if (m->buyer && !s_is_text(m->buyer, MEASURE_NAME_MAX))
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.buyer",
                                "longer than %d bytes or control characters", MEASURE_NAME_MAX);
    if (m->reason && !s_is_text(m->reason, MEASURE_REASON_MAX))
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.reason",
                                "longer than %d bytes or control characters", MEASURE_REASON_MAX);
    /* A oneof holds at most one arm by construction; "exactly one" means it is set,
     * to an arm this build knows (an unknown arm arrives as NOT_SET), with a body. */
    switch (m->kind_case) {
    case MVOI__MEASUREMENT__KIND_ENERGY:
    case MVOI__MEASUREMENT__KIND_MACHINE:
    case MVOI__MEASUREMENT__KIND_ROAD:
    case MVOI__MEASUREMENT__KIND_MATERIAL:
    case MVOI__MEASUREMENT__KIND_SOCIAL:
    case MVOI__MEASUREMENT__KIND_FAIRTRADE:
    case MVOI__MEASUREMENT__KIND_MKI:
    case MVOI__MEASUREMENT__KIND_PILOT:
        if (!m->energy)     /* any arm: the union members share storage */
            return impact_error_set(err, -EINVAL, S_INVALID, "measurement.kind",
                                    "kind is set but its message is missing");
        return 0;
    default:
        return impact_error_set(err, -EINVAL, S_INVALID, "measurement.kind",
                                "exactly one of energy, machine, road, material, social, "
                                "fairtrade, mki, pilot must be set");
    }
}

/* One field of the difference: absent on both sides stays absent. */
static int
s_diff(protobuf_c_boolean has_now, int64_t now, protobuf_c_boolean has_before, int64_t before,
       protobuf_c_boolean *has_out, int64_t *out)
{
    *has_out = has_now || has_before;
    return fixed_sub(has_now ? now : 0, has_before ? before : 0, out);
}

int
impact_diff(const Mvoi__Impact *now, const Mvoi__Impact *before, Mvoi__Impact *out)
{
    static const Mvoi__Impact zero = MVOI__IMPACT__INIT;
    if (!out)
        return -EINVAL;
    mvoi__impact__init(out);
    const Mvoi__Impact *a = now ? now : &zero;
    const Mvoi__Impact *b = before ? before : &zero;
#define S_FIELD(f) \
    if (s_diff(a->has_##f, a->f, b->has_##f, b->f, &out->has_##f, &out->f) < 0) \
        return -EOVERFLOW
    S_FIELD(co2_avoided_g);
    S_FIELD(nox_avoided_mg);
    S_FIELD(primary_material_g);
    S_FIELD(renewable_g);
    S_FIELD(sroi_realised_cents);
    S_FIELD(fairtrade_products);
    S_FIELD(risk_products);
    S_FIELD(mki_avoided_cents);
    S_FIELD(pilots);
#undef S_FIELD
    if (a->has_theme) {
        out->has_theme = 1;
        out->theme = a->theme;
    }
    else if (b->has_theme) {
        out->has_theme = 1;
        out->theme = b->theme;
    }
    return 0;
}
