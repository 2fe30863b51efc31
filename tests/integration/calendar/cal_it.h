/*  cal_it: what the calendar integration tests share. */
#ifndef MVOI_CAL_IT_H
#define MVOI_CAL_IT_H

#include <stddef.h>

/* Run the mvoictl binary `ctl` with ARGS (NULL-terminated) and the environment `envp`
 * (NULL-terminated) in front of the test's own; stdout into out (NUL-terminated; out may be
 * NULL), both streams kept as dir/ctl.out and dir/ctl.err. Returns the exit code, 128 when
 * killed, -1 when it could not be started. */
int cal_it_ctl(const char *dir, const char *ctl, const char *const *envp, char *out,
               size_t outlen, const char *const *args);

#endif
