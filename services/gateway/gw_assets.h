/*  gw_assets: the dashboard's static files, embedded at build time (embed.cmake). */
#ifndef MVOI_GW_ASSETS_H
#define MVOI_GW_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *name;          /* "index.html", "dash.js" ... */
    const unsigned char *data;
    size_t len;
} gw_asset_t;

extern const gw_asset_t gw_assets[];
extern const size_t gw_nassets;

const gw_asset_t *gw_asset_find(const char *name);
const char *gw_asset_type(const char *name);   /* Content-Type by extension */

#endif
