/*  fake_int: what fakekpi.c and fake_report.c share (one stand-in binary, two files). */
#ifndef MVOI_FAKE_INT_H
#define MVOI_FAKE_INT_H

#include <zmq.h>

#include "envelope.pb-c.h"

/* env packed and sent on sock: [id] when id, [topic] when topic, then the envelope
 * (fake_answer.c). */
void fake_send(void *sock, const void *id, size_t idlen, const char *topic,
               Mvoi__Envelope *env);
/* Answers on the ROUTER, as the services do (health: fakekpi.c; the rest: fake_answer.c). */
void fake_health(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req, const char *name);
void fake_error(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req, int code,
                const char *field, const char *msg);
void fake_reply(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req, Mvoi__Envelope *env);

/* The notifier's and the report service's stand-ins (fake_report.c). */
extern const char *g_reports_dir;   /* --reports-dir: where generated reports are written */
void on_notifier(void *sock, zmq_msg_t *id, Mvoi__Envelope *req);
void on_report(void *sock, zmq_msg_t *id, Mvoi__Envelope *req);

#endif
