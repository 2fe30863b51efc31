/*  bus_monitor: the (re)connections of a socket, from libzmq's socket monitor.
 *
 *  Every completed ZMTP handshake of the watched socket is one connection. Whoever keeps
 *  state across a connection needs them: a SUB's PUB drops what it published while the
 *  SUB was away; a DEALER's request (or its answer) that was under way on a connection
 *  that went is gone with it. inproc:// connections report nothing (no handshake).
 */
#ifndef MVOI_BUS_MONITOR_H
#define MVOI_BUS_MONITOR_H

#include <stdbool.h>
#include <uv.h>
#include "bus.h"

/* A monitor of sock's connections, watched with fn (fn drains it with
 * bus_monitor_connections). NULL on failure, with nothing left open. Destroy it with
 * bus_sock_destroy, before sock. */
bus_sock_t *bus_monitor_new(bus_ctx_t *ctx, uv_loop_t *loop, bus_sock_t *sock, bus_fn *fn,
                            void *arg);
/* Drain the monitor: how many connections were made since the last call. */
unsigned bus_monitor_connections(bus_sock_t *mon);
/* Drain the monitor: whether a connection after the first was made since the last call, a
 * reconnection, after which whatever was under way on the connection before is gone. *seen
 * is the caller's record that the first one was made (false until then); the first
 * connection carries what was queued before it, so it is no reconnection. */
bool bus_monitor_reconnected(bus_sock_t *mon, bool *seen);

#endif
