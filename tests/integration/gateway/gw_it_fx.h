/*  gw_it_fx: the fixture of test_gateway_it (gw_it_fx.c). */
#ifndef MVOI_GW_IT_FX_H
#define MVOI_GW_IT_FX_H

#include "gwt.h"

#define AUTH(t) "Authorization: Bearer " t "\r\n"
#define JSON_CT "Content-Type: application/json\r\n"

/* The fake and the gateway of the running test (one test per process). */
extern gwt_env_t E;

/* Start both with env (NULL-terminated "K=V"), asserting they come up ready. */
void gi_up(const char *const *env);
/* One HTTP request to the gateway, asserted answered: its status, the reply in r. */
int gi_req(const char *method, const char *path, const char *hdrs, const char *body,
           gwt_resp_t *r);
/* status, and for problems the field (may be NULL) and the problem content type */
void gi_expect(const char *method, const char *path, const char *hdrs, const char *body,
               int status, const char *field);
/* A problem with its status, type (the slug after "urn:mvoi:problem:") and Retry-After
 * ("" for none): what a client acts on (README's table). */
void gi_expect_act(const char *path, const char *hdrs, int status, const char *slug,
                   const char *retry_after);
/* The suite's fini: both stopped. */
void gi_down(void);

#endif
