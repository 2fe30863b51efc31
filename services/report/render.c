/*  render: a renderer by ReportFormat into a file, written beside it, checked (a stream
 *  error anywhere, e.g. ENOSPC in the middle, fails the file), fsync'ed and renamed, so a
 *  reader never sees half a report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rp_fs.h"
#include "report.pb-c.h"

int rp_render_file(const rp_report_t *r, int format, const char *path, char *why,
                   size_t whycap)
{
    char tmp[4200];
    if (why && whycap)
        why[0] = 0;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc;
    errno = 0;
    if (format == MVOI__REPORT_FORMAT__FMT_XLSX) {
        rc = rp_render_xlsx_why(r, tmp, why, whycap);
        if (rc == -EIO && errno && !(why && why[0]))
            rc = -errno;   /* libxlsxwriter's failure, with the reason the system gave */
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
        /* A write that failed midway sets the stream's error; a later flush may succeed. */
        if (rc == 0 && (fflush(f) != 0 || ferror(f)))
            rc = errno ? -errno : -EIO;
        if (fclose(f) != 0 && rc == 0)
            rc = errno ? -errno : -EIO;
        free(buf);
    }
    if (rc == 0)
        return rp_disk_commit(tmp, path);
    remove(tmp);
    return rc;
}
