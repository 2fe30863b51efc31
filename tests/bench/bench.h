/*  bench: throughput measurements shared by the bench tools (bench_raw, bench_hop).
 *
 *  Every function forks its sender before any zmq context exists in either process, so it
 *  can be called from a plain program (not from inside a process that must not fork).
 *  transport: "tcp" (loopback, tcp://127.0.0.1:*) or "ipc" (a mkdtemp() directory).
 *  Rates are messages per second counted by the receiver from its first to its last
 *  message, all `count` messages checked; a negative value means the run failed.
 */
#ifndef MVOI_BENCH_H
#define MVOI_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* PUSH/PULL, receiver (PULL, bound) in this process and sender (PUSH) in a forked child,
 * both on libuv loops through the bus watcher (common/bus.c). payload >= 8 bytes. */
double bench_raw_push_pull(const char *transport, size_t payload, uint64_t count);

/* The same with plain blocking zmq_send()/zmq_msg_recv() and no loop: the absolute baseline. */
double bench_raw_push_pull_blocking(const char *transport, size_t payload, uint64_t count);

#endif
