/*  harness: real processes for integration tests.
 *
 *  Starts the project's binaries with an environment, sends them signals, waits with a
 *  bound, talks to their ROUTER with a plain DEALER, and reads their LMDB files read-only.
 */
#ifndef MVOI_HARNESS_H
#define MVOI_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "envelope.pb-c.h"

typedef struct {
    pid_t pid;
    char name[64];
    char log[512];
} h_proc_t;

/* A fresh directory under /tmp (short, for ipc:// paths); removed by h_tmpdir_remove. */
void h_tmpdir(char *buf, size_t len);
void h_tmpdir_remove(const char *dir);

/* Keep every child's log of this test in its output when its directory is removed: for a
 * failure the harness cannot see by itself (a service that never became ready). */
void h_keep_logs(void);

/* A TCP port on 127.0.0.1 for a listener that cannot take ipc:// (HTTP, SMTP): free now,
 * below the kernel's ephemeral range (no outgoing connection is given it) and reserved for
 * this test process's life by a lock that every test of the tree takes (h_ports.c); or
 * -errno. */
int h_free_tcp_port(void);

/* n distinct such ports (n <= 64): 0 or -errno. For a stack of services on tcp://. */
int h_free_tcp_ports(int *ports, int n);

/* A TCP port on 127.0.0.1 kept bound, never listening, until the caller closes *fd: a
 * connection to it is refused, and no other test's bind(0) is handed it meanwhile. For a
 * peer that is down for a while and comes up later on that port (a free port left unbound
 * for seconds was taken by a parallel test's relay, which then took this test's mails). */
int h_hold_tcp_port(int *fd);

/* Path of a built binary: MVOI_BINARY_DIR "/" rel. */
void h_bin(char *buf, size_t len, const char *rel);

/* Spawn bin with the current environment plus env ("K=V" strings, NULL-terminated);
 * stdout and stderr go to <logdir>/<name>.log (appended). */
int h_spawn(h_proc_t *p, const char *bin, const char *name, const char *logdir,
            const char *const *env);
/* Same with arguments: argv[0] is the program's path (not searched in PATH). */
int h_spawn_argv(h_proc_t *p, char *const argv[], const char *name, const char *logdir,
                 const char *const *env);
int h_signal(h_proc_t *p, int sig);
/* Wait up to timeout_ms; returns 0 and sets *status, or -ETIMEDOUT. */
int h_wait(h_proc_t *p, int timeout_ms, int *status);
/* SIGKILL and reap. */
void h_kill9(h_proc_t *p);

/* One request/reply with a fresh DEALER (linger 0). *reply must be freed with
 * mvoi__envelope__free_unpacked(reply, NULL). 0, -ETIMEDOUT, or -EPROTO. */
int h_request(const char *endpoint, const Mvoi__Envelope *req, Mvoi__Envelope **reply,
              int timeout_ms);
/* Same with raw bytes. */
int h_request_raw(const char *endpoint, const void *data, size_t len,
                  Mvoi__Envelope **reply, int timeout_ms);
/* Wait until the service answers a HealthRequest (live); on a timeout the logs are kept
 * (h_keep_logs). */
int h_wait_healthy(const char *endpoint, int timeout_ms);

/* Read an LMDB environment read-only. */
typedef int (h_lmdb_fn)(void *txn, void *arg);   /* MDB_txn * */
int h_lmdb_read(const char *path, h_lmdb_fn *fn, void *arg);
/* Overwrite the record under key in db of a stopped service's store (path) with bytes that
 * are no protobuf message, through the store (h_corrupt.c): 0, -ENOENT when there is no
 * such record, or the store's error. Links the store (mvoi). */
int h_store_corrupt(const char *path, const char *db, const void *key, size_t klen);
/* h_store_corrupt that keeps the bytes it overwrote (into old, cap bytes; their length in
 * *oldlen; -ENOBUFS when they do not fit, nothing written), as a backup of the record. */
int h_store_corrupt_keep(const char *path, const char *db, const void *key, size_t klen,
                         void *old, size_t cap, size_t *oldlen);
/* Put val back under key (a record restored from its backup), through the store. */
int h_store_restore(const char *path, const char *db, const void *key, size_t klen,
                    const void *val, size_t vlen);
/* Overwrite that record with val (vlen bytes), or with val NULL delete it (an index entry
 * left without its record); the same results. */
int h_store_set(const char *path, const char *db, const void *key, size_t klen,
                const void *val, size_t vlen);

int64_t h_now_ms(void);
void h_sleep_ms(int ms);

#endif
