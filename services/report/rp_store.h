/*  rp_store: reads of the report service's own records (stored replies, done periods). */
#ifndef RP_STORE_H
#define RP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

/* A copy of the value of key (klen bytes) in the store's database db (malloc'd, the
 * caller frees): 0, -ENOENT when there is none, -ENOMEM or -EIO. */
int rp_store_get(store_t *store, const char *db, const void *key, size_t klen, uint8_t **val,
                 size_t *len);

/* The key of a stored reply in the requests database: buyer \0 request id. Request ids are
 * the client's and clients are many buyers, so the id alone is no key (common/server.c
 * keys its replies the same way). Its length, or 0 when it does not fit cap. */
size_t rp_request_key(uint8_t *buf, size_t cap, const char *buyer, const char *rid);

/* The key of a period's "done" marker in the periods database. */
void rp_period_key(char *buf, size_t cap, const char *buyer, uint32_t year, uint32_t quarter);

#endif
