/*  mvoi_error: the one error space of common/ (see mvoi_error.h). */
#define _GNU_SOURCE   /* strerrorname_np */
#include "mvoi_error.h"

#include <errno.h>
#include <lmdb.h>
#include <string.h>

static const struct {
    int code;
    const char *name;
    const char *text;
} s_codes[] = {
    { MVOI_E_MAP_FULL, "MVOI_E_MAP_FULL", "the store's map is full" },
    { MVOI_E_MAP_RESIZED, "MVOI_E_MAP_RESIZED", "another process resized the store's map" },
    { MVOI_E_CORRUPTED, "MVOI_E_CORRUPTED", "the store's file is damaged" },
    { MVOI_E_INCOMPATIBLE, "MVOI_E_INCOMPATIBLE",
      "the store's file is of another LMDB version or layout" },
    { MVOI_E_READERS_FULL, "MVOI_E_READERS_FULL", "every reader slot of the store is taken" },
    { MVOI_E_TXN_FULL, "MVOI_E_TXN_FULL", "a store transaction outgrew LMDB's limits" },
    { MVOI_E_STORE_MISUSE, "MVOI_E_STORE_MISUSE",
      "a bad store handle, transaction or value size" },
    { MVOI_E_STORE, "MVOI_E_STORE", "the store failed" },
    { MVOI_E_UNDECODABLE, "MVOI_E_UNDECODABLE", "a stored record does not decode" },
    { MVOI_E_OVERFLOW, "MVOI_E_OVERFLOW", "a total would pass the int64 range" },
};

int mvoi_mdb_error(int rc)
{
    if (rc > 0)
        return -rc;          /* LMDB passes system failures up as positive errnos */
    if (rc < MDB_KEYEXIST || rc > MDB_LAST_ERRCODE)
        return rc;           /* 0, or already ours */
    switch (rc) {
    case MDB_NOTFOUND: return -ENOENT;
    case MDB_KEYEXIST: return -EEXIST;
    case MDB_MAP_FULL: return MVOI_E_MAP_FULL;
    case MDB_MAP_RESIZED: return MVOI_E_MAP_RESIZED;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_PANIC: return MVOI_E_CORRUPTED;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE: return MVOI_E_INCOMPATIBLE;
    case MDB_READERS_FULL: return MVOI_E_READERS_FULL;
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL:
    case MDB_DBS_FULL:
    case MDB_TLS_FULL: return MVOI_E_TXN_FULL;
    case MDB_BAD_RSLOT:
    case MDB_BAD_TXN:
    case MDB_BAD_VALSIZE:
    case MDB_BAD_DBI: return MVOI_E_STORE_MISUSE;
    default: return MVOI_E_STORE;
    }
}

const char *mvoi_strerror(int code)
{
    if (code == 0)
        return "success";
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes[0]; i++)
        if (s_codes[i].code == code)
            return s_codes[i].text;
    if (code < 0 && code > MVOI_E_FIRST) {
        const char *d = strerrordesc_np(-code);
        if (d)
            return d;
    }
    return "unknown error";
}

const char *mvoi_errname(int code)
{
    if (code == 0)
        return "OK";
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes[0]; i++)
        if (s_codes[i].code == code)
            return s_codes[i].name;
    if (code < 0 && code > MVOI_E_FIRST) {
        const char *n = strerrorname_np(-code);
        if (n)
            return n;
    }
    return "E?";
}
