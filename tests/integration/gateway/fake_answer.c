/*  fake_answer: how the stand-ins answer on a ROUTER and publish, as the services do:
 *  [identity][envelope] replies, [topic][envelope] events (fake_int.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_int.h"

void fake_send(void *sock, const void *id, size_t idlen, const char *topic,
               Mvoi__Envelope *env)
{
    size_t len = mvoi__envelope__get_packed_size(env);
    uint8_t *buf = malloc(len ? len : 1);
    mvoi__envelope__pack(env, buf);
    if (id)
        zmq_send(sock, id, idlen, ZMQ_SNDMORE);
    if (topic)
        zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE);
    zmq_send(sock, buf, len, 0);
    free(buf);
}

void fake_error(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req, int code,
                const char *field, const char *msg)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__Error e = MVOI__ERROR__INIT;
    e.has_code = true, e.code = code;
    e.field = (char *)field;
    e.message = (char *)msg;
    env.request_id = req->request_id;
    env.buyer = req->buyer;
    env.body_case = MVOI__ENVELOPE__BODY_ERROR;
    env.error = &e;
    fake_send(sock, zmq_msg_data(id), zmq_msg_size(id), NULL, &env);
}

void fake_reply(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req, Mvoi__Envelope *env)
{
    env->request_id = req->request_id;
    if (!env->buyer)
        env->buyer = req->buyer;   /* server.c: the request's, unless the handler set one */
    fake_send(sock, zmq_msg_data(id), zmq_msg_size(id), NULL, env);
}
