/*  calc_pilot: a pilot counts once towards KPI 6 under its own theme (docs/domain.md#pilots).
 *
 *  pilots = 1 whatever the status: a status change is a correction of the same
 *  measurement id (difference 0), so a pilot is never counted twice.
 */
#include "calc_internal.h"

#include <string.h>

int
calc_pilot(calc_ctx_t *ctx, const Mvoi__PilotStatus *p)
{
    if (!p->has_theme || p->theme < MVOI__THEME__THEME_KLIMAAT
        || p->theme > MVOI__THEME__THEME_SOCIAL_RETURN)
        return calc_fail(ctx, -EINVAL, "measurement.pilot.theme",
                         p->has_theme ? "unknown theme %d" : "missing", (int) p->theme);
    if (p->status && *p->status && strcmp(p->status, "gestart") != 0
        && strcmp(p->status, "lopend") != 0 && strcmp(p->status, "afgerond") != 0)
        return calc_fail(ctx, -EINVAL, "measurement.pilot.status",
                         "must be gestart, lopend or afgerond");
    ctx->impact->has_pilots = 1;
    ctx->impact->pilots = 1;
    ctx->impact->has_theme = 1;
    ctx->impact->theme = p->theme;
    return 0;
}
