/*  buyers: the buyer registry, as data. One deployment serves many public buyers; each is
 *  a section of an INI file (common/data/buyers.ini, or the file MVOI_BUYERS_FILE names):
 *
 *    [heerlen]                      the buyer id (mvoi_id.h: [a-z0-9_-], 1..64)
 *    name = Gemeente Heerlen        display name for reports, mail and the dashboard
 *    organizer = inkoop@heerlen.nl  ORGANIZER of its kick-off invitations (optional)
 *    domain = heerlen.nl            its mail domain, e.g. for invitation UIDs (optional)
 *    oin = ...                      Organisatie-identificatienummer, where known
 *    kvk = ...                      Kamer van Koophandel number, where known
 *
 *  A request naming a buyer that is not in the registry is refused (server.c, field
 *  "buyer"), unless the registry is open (MVOI_BUYERS_OPEN=true, for tests and demos):
 *  then every valid buyer id is accepted and an unknown one has its id as display name.
 */
#ifndef MVOI_BUYERS_H
#define MVOI_BUYERS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "mvoi_id.h"

#define MVOI_BUYERS_MAX 4096
#define MVOI_BUYER_TEXT_MAX 256

typedef struct {
    char id[MVOI_ID_BUYER_MAX + 1];
    char name[MVOI_BUYER_TEXT_MAX];
    char organizer[MVOI_BUYER_TEXT_MAX];   /* "" when not given */
    char domain[MVOI_BUYER_TEXT_MAX];
    char oin[32];
    char kvk[32];
} mvoi_buyer_t;

typedef struct mvoi_buyers mvoi_buyers_t;

/* Load path. NULL with err ("<path>:<line>: why") on a missing file, a bad id, a buyer
 * without a name, a duplicate, an unknown key or a value too long. */
mvoi_buyers_t *mvoi_buyers_load(const char *path, bool open, char *err, size_t cap);
/* The registry of a service's configuration: shared keys buyers_file and buyers_open
 * (service.c declares them for every service). */
mvoi_buyers_t *mvoi_buyers_from_cfg(cfg_t *cfg, char *err, size_t cap);
void mvoi_buyers_destroy(mvoi_buyers_t **self_p);

/* The buyer, NULL if not registered. */
const mvoi_buyer_t *mvoi_buyers_find(const mvoi_buyers_t *self, const char *id);
/* Is this buyer served: registered, or any valid id when the registry is open. */
bool mvoi_buyers_accepts(const mvoi_buyers_t *self, const char *id);
bool mvoi_buyers_open(const mvoi_buyers_t *self);
/* Display name: the registry's, or the id itself for an unregistered buyer (open mode). */
const char *mvoi_buyers_name(const mvoi_buyers_t *self, const char *id);
size_t mvoi_buyers_count(const mvoi_buyers_t *self);
/* The i-th buyer in file order (for pickers), NULL past the end. */
const mvoi_buyer_t *mvoi_buyers_at(const mvoi_buyers_t *self, size_t i);

#endif
