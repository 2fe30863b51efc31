/*  rp_store: reads of the report service's own records (stored replies, done periods). */
#ifndef RP_STORE_H
#define RP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

/* A copy of the value of key in the store's database db (malloc'd, the caller frees):
 * 0, -ENOENT when there is none, -ENOMEM or -EIO. */
int rp_store_get(store_t *store, const char *db, const char *key, uint8_t **val, size_t *len);

/* The key of a period's "done" marker in the periods database. */
void rp_period_key(char *buf, size_t cap, const char *buyer, uint32_t year, uint32_t quarter);

#endif
