/*  ctl_curve: tells a refused key from a service that does not answer. A CURVE server that
 *  refuses the handshake (a key not in its registry, or one side without CURVE) sends no
 *  reply at all; the DEALER's own monitor sees the failed handshake, so mvoictl can name
 *  the cause at once instead of waiting out its timeout. See ctl.h. */
#include <stdio.h>
#include <stdint.h>
#include <zmq.h>

#include "ctl.h"

void *ctl_curve_monitor(void *zctx, void *sock)
{
    static int n;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://ctl-handshake-%d", n++);
    if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                           | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        return NULL;
    void *mon = zmq_socket(zctx, ZMQ_PAIR);
    int zero = 0;
    if (mon)
        zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
    if (mon && zmq_connect(mon, ep) != 0) {
        zmq_close(mon);
        return NULL;
    }
    return mon;
}

int ctl_curve_refused(void *mon, int *status)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) < 0 || zmq_msg_size(&m) < 6) {
        zmq_msg_close(&m);
        return 0;
    }
    const uint8_t *d = zmq_msg_data(&m);
    int ev = d[0] | d[1] << 8;
    *status = (int)(d[2] | d[3] << 8 | d[4] << 16 | (uint32_t)d[5] << 24);
    zmq_msg_close(&m);
    zmq_msg_init(&m);
    zmq_msg_recv(&m, mon, ZMQ_DONTWAIT);   /* the address frame */
    zmq_msg_close(&m);
    return ev;
}
