/*  narrative: the adviser's text per buyer, period and theme (see narrative.c). */
#ifndef MVOI_REPORT_NARRATIVE_H
#define MVOI_REPORT_NARRATIVE_H

#include "codec.h"
#include "envelope.pb-c.h"
#include "report.h"
#include "store.h"

#define RP_NARRATIVE_MAX 4000

/* 0, or -EINVAL with the field and the reason. */
int rp_narrative_check(const Mvoi__SetNarrative *m, const char **field, const char **why);
/* Store (or, for an empty text, remove) the narrative; 0 or a negative errno. */
int rp_narrative_set(store_t *st, const char *buyer, const Mvoi__SetNarrative *m);
/* A SetNarrative command: checks, stores and fills env with the reply (the stored narrative
 * or an error); nr holds the reply's storage and must live until env is sent. */
typedef struct {
    Mvoi__Narrative n;
    codec_error_t es;
} rp_narrative_reply_t;
void rp_narrative_handle(store_t *st, const Mvoi__Envelope *req, Mvoi__Envelope *env,
                         rp_narrative_reply_t *nr);
/* Fill in->narrative[1..6] for in->buyer, year, quarter. */
int rp_narrative_load(store_t *st, rp_input_t *in);

#endif
