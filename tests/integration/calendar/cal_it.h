/*  cal_it: what the calendar integration tests share. */
#ifndef MVOI_CAL_IT_H
#define MVOI_CAL_IT_H

#include <stddef.h>

#include "harness.h"

/* A test's own mvoi-calendar on ipc:// endpoints in a fresh temp directory, and where the
 * mvoictl binary is. rid: a counter a test may use for request ids. */
typedef struct {
    char dir[128];
    char api[192];
    char env[6][256];
    const char *envp[7];   /* MVOI_DATA_DIR, the endpoints, the log level, MVOI_BUYER */
    char bin[512], ctl[512];
    h_proc_t proc;
    int rid;
} cal_it_fx_t;

/* Start the calendar for buyer (MVOI_BUYER); the test fails if it does not come up. */
void cal_it_start(cal_it_fx_t *f, const char *buyer);
/* kill -9 it and remove the directory. */
void cal_it_stop(cal_it_fx_t *f);
/* What mvoictl said on stderr in its last cal_it_ctl run (a static buffer). */
const char *cal_it_err(const cal_it_fx_t *f);

/* Run the mvoictl binary `ctl` with ARGS (NULL-terminated) and the environment `envp`
 * (NULL-terminated) in front of the test's own; stdout into out (NUL-terminated; out may be
 * NULL), both streams kept as dir/ctl.out and dir/ctl.err. Returns the exit code, 128 when
 * killed, -1 when it could not be started. */
int cal_it_ctl(const char *dir, const char *ctl, const char *const *envp, char *out,
               size_t outlen, const char *const *args);

/* Write bytes (len of them; 0: up to the NUL) to the file name in the test's directory
 * f->dir; returns its path (one of 8 buffers, reused in turn). The test fails if it cannot. */
const char *cal_it_file(const cal_it_fx_t *f, const char *name, const char *bytes, size_t len);

#endif
