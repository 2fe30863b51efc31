/*  render: a renderer by ReportFormat into a file, written beside it and renamed, so a
 *  reader never sees half a report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report.pb-c.h"

int rp_render_file(const rp_report_t *r, int format, const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc;
    if (format == MVOI__REPORT_FORMAT__FMT_XLSX) {
        rc = rp_render_xlsx(r, tmp);
    } else {
        FILE *f = fopen(tmp, "wb");
        if (!f)
            return -errno;
        char *buf = malloc(1 << 16);
        if (buf)
            setvbuf(f, buf, _IOFBF, 1 << 16);
        switch (format) {
        case MVOI__REPORT_FORMAT__FMT_HTML: rc = rp_render_html(r, f); break;
        case MVOI__REPORT_FORMAT__FMT_CSV: rc = rp_render_csv(r, f, false); break;
        case MVOI__REPORT_FORMAT__FMT_CSV_NL: rc = rp_render_csv(r, f, true); break;
        case MVOI__REPORT_FORMAT__FMT_JSON: rc = rp_render_json(r, f); break;
        case MVOI__REPORT_FORMAT__FMT_MVI_PLATFORM: rc = rp_render_mvi(r, f); break;
        default: rc = -EINVAL;
        }
        if (fclose(f) != 0 && rc == 0)
            rc = -errno;
        free(buf);
    }
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        remove(tmp);
    return rc;
}
