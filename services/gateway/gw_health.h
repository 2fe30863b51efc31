/*  gw_health: the gateway's --healthcheck (HTTP /healthz or /readyz on its own listener). */
#ifndef MVOI_GW_HEALTH_H
#define MVOI_GW_HEALTH_H

#include <stdbool.h>
#include "config.h"

/* 0 when the gateway answers 200; 1 otherwise (with a line on stderr). */
int gw_healthcheck(cfg_t *cfg, bool want_ready);

#endif
