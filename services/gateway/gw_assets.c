/*  gw_assets: lookup in the embedded table (gw_assets.h). */
#include <string.h>
#include "gw_assets.h"

const gw_asset_t *gw_asset_find(const char *name)
{
    for (size_t i = 0; i < gw_nassets; i++)
        if (strcmp(gw_assets[i].name, name) == 0)
            return &gw_assets[i];
    return NULL;
}

const char *gw_asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
    if (strcmp(dot, ".svg") == 0) return "image/svg+xml";
    if (strcmp(dot, ".json") == 0) return "application/json";
    return "application/octet-stream";
}
