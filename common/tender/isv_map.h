/* isv_map: which ISV high-risk product group a tender belongs to (docs/domain.md#isv),
 * from its purchasing group and CPV code. The mapping is data
 * (data/isv-risk-groups.csv, format documented there), loaded from a directory at start. */
#ifndef ISV_MAP_H
#define ISV_MAP_H

#include <stddef.h>

typedef struct isv_map isv_map_t;

/* Load <dir>/isv-risk-groups.csv. err (if given) gets "file:line: reason".
 * Returns 0, -ENOENT, -EINVAL (malformed line) or -ENOMEM. */
int isv_map_load_dir(const char *dir, isv_map_t **out, char *err, size_t errlen);

/* Load one file (same format). */
int isv_map_load_file(const char *path, isv_map_t **out, char *err, size_t errlen);

void isv_map_destroy(isv_map_t **self_p);

/* The risk group for a tender, or NULL when none. A purchasing-group keyword match wins
 * (file order); otherwise the longest CPV prefix over the digits of cpv ("45233141-9").
 * Either argument may be NULL. The returned string is owned by the map. */
const char *isv_map_lookup(const isv_map_t *self, const char *purchasing_group, const char *cpv);

/* Number of rules loaded (for health/diagnostics). */
size_t isv_map_size(const isv_map_t *self);

#endif
