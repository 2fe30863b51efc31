/*  ctl_out: whether what mvoictl wrote on stdout reached it (ctl.h, ctl_out_close).
 *
 *  stdio holds a command's output in its buffer and writes it when the buffer is full or
 *  at exit; a write that fails then (a full disk, a pipe whose reader has gone with SIGPIPE
 *  ignored, a file over its quota) is dropped without a word, and the process exited 0: a
 *  script saw success and a short or empty file. So the last write is made here, before
 *  the exit code is chosen, and any write of stdout that failed makes the command fail.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio_ext.h>
#include <string.h>

#include "ctl.h"

/* The errno of the first write of stdout that failed at a ctl_out_flush (0: none seen):
 * by the time of ctl_out_close errno has long been reused, and the reason would be lost. */
static int s_first_err;

int ctl_out_flush(void)
{
    errno = 0;
    int rc = fflush(stdout);
    if (rc == 0 && !ferror(stdout))
        return 0;
    if (rc != 0 && errno && !s_first_err)
        s_first_err = errno;
    /* a write that failed before, its reason unknown: said as such, not guessed */
    return s_first_err ? -s_first_err : -EIO;
}

int ctl_out_close(const ctl_t *ctl, int ex)
{
    /* ferror: a write failed earlier (its bytes are gone; errno is long since reused);
     * fclose: the rest of the buffer. stdout closed from the start (`mvoictl >&-`) with
     * nothing written is EBADF with nothing lost, as for coreutils' close_stdout. */
    bool earlier = ferror(stdout) != 0;
    bool pending = __fpending(stdout) != 0;
    errno = 0;
    bool closed = fclose(stdout) == 0;
    int err = errno;
    if (!earlier && (closed || (err == EBADF && !pending)))
        return ex;
    if (s_first_err)
        err = s_first_err;
    ctl_fail(ctl, 0, "ctl.err.stdout",
             err ? strerror(err) : ctl_text(ctl, "ctl.err.stdout_earlier"));
    return ex != CTL_EX_OK ? ex : CTL_EX_IOERR;
}
