/*  nt_hooks: where a reminder's webhook copy goes, per buyer.
 *
 *  One deployment serves many buyers, and a webhook copy carries its buyer's tender titles
 *  and people's names: it goes to that buyer's endpoint and to no other buyer's.
 *
 *  - webhooks_file (MVOI_NOTIFIER_WEBHOOKS_FILE): INI, one section per buyer of the
 *    registry, e.g.
 *        [heerlen]
 *        url = https://heerlen.example/hook        (or url_file = a file holding it)
 *        secret_file = /run/secrets/heerlen-hook   (or secret = whsec_...; neither: unsigned)
 *        template = teams                          (plain, teams or slack; default
 *                                                   webhook_template)
 *    It holds credentials, so it is checked as every secret file is (mode & 027 refused),
 *    and so are url_file and secret_file (relative paths: from the file's directory). A
 *    buyer without a section gets no webhook copy; its mails go as before.
 *  - webhook_url (with webhook_secret and webhook_template): one endpoint for the
 *    deployment. Whose reminders it receives says webhook_buyers: "*" (every buyer without
 *    a section of its own), a list of buyer ids ("heerlen,venlo"), or empty, which only a
 *    registry of exactly one buyer allows (it is that buyer's). Anything else is refused at
 *    start: one URL silently receiving every buyer's reminders is the leak this prevents.
 *    Reminders of no buyer (the quarterly report reminder to the core team) go to
 *    webhook_url only.
 *  Every bad entry is refused at start (the notifier does not reload its configuration),
 *  naming the setting or the file, line and section, and the reason; never a credential.
 */
#ifndef MVOI_NT_HOOKS_H
#define MVOI_NT_HOOKS_H

#include <stddef.h>

#include "buyers.h"
#include "nt_msg.h"

typedef struct {
    const char *url;       /* http(s)://host... */
    const char *secret;    /* Standard Webhooks key; "" = not signed */
    nt_template_t tpl;
} nt_hook_t;

typedef struct {
    const char *url, *secret, *template_name;   /* webhook_url, _secret, _template */
    const char *buyers;                         /* webhook_buyers */
    const char *file;                           /* webhooks_file ("" = none) */
} nt_hooks_opts_t;

typedef struct nt_hooks_t nt_hooks_t;

/* The webhooks of the configuration, checked against the buyer registry. NULL with why
 * ("webhooks_file: <path>:<line>: [buyer] url: ...", "webhook_buyers: ...") on bad input;
 * -ENOMEM is "out of memory" in why. */
nt_hooks_t *nt_hooks_new(const nt_hooks_opts_t *o, const mvoi_buyers_t *buyers, char *why,
                         size_t whylen);
/* Clears the secrets. */
void nt_hooks_destroy(nt_hooks_t **self_p);
/* The webhook of a buyer's reminders (buyer NULL or "": the deployment's own), NULL when
 * they get no webhook copy. */
const nt_hook_t *nt_hooks_for(const nt_hooks_t *self, const char *buyer);
/* How many buyers have a webhook of their own (a section of webhooks_file). */
size_t nt_hooks_count(const nt_hooks_t *self);
/* Is url an http or https URL with a host (libcurl's parser: what it would send to)? */
int nt_hooks_url_ok(const char *url);
/* Does secret sign (whsec_<base64> or raw, at most 512 bytes)? "" is no secret: ok. */
int nt_hooks_secret_ok(const char *secret);

#endif
