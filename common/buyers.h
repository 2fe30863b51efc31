/*  buyers: the buyer registry, as data. One deployment serves many public buyers; each is
 *  a section of an INI file (common/data/buyers.ini, or the file MVOI_BUYERS_FILE names):
 *
 *    [heerlen]                      the buyer id (mvoi_id.h: [a-z0-9_-], 1..64)
 *    name = Gemeente Heerlen        display name for reports, mail and the dashboard
 *    organizer = inkoop@heerlen.nl  ORGANIZER of its kick-off invitations (optional)
 *    domain = heerlen.nl            its mail domain, e.g. for invitation UIDs (optional)
 *    oin = ...                      Organisatie-identificatienummer, where known
 *    kvk = ...                      Kamer van Koophandel number, where known
 *    kind = gemeente                gemeente | provincie | waterschap | rijk (benchmark)
 *    inhabitants = 87498            with inhabitants_year and inhabitants_source
 *    purchasing_volume_eur = ...    yearly purchasing volume in euros, with
 *                                   purchasing_volume_year and purchasing_volume_source
 *    ambition_level.klimaat = 2     the Manifest level (1..5) declared per theme (klimaat,
 *                                   circulair, milieu, isv, diversiteit_inclusie,
 *                                   social_return), with ambition_level_year and
 *                                   ambition_level_source
 *
 *  A request naming a buyer that is not in the registry is refused (server.c, field
 *  "buyer"), unless the registry is open (MVOI_BUYERS_OPEN=true, for tests and demos):
 *  then every valid buyer id is accepted and an unknown one has its id as display name.
 */
#ifndef MVOI_BUYERS_H
#define MVOI_BUYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mvoi_id.h"

#define MVOI_BUYERS_MAX 4096

/* The kind of public buyer, the first key of a benchmark class (bm_class.h). */
typedef enum {
    MVOI_BUYER_KIND_NONE = 0,    /* not given: the buyer is in no benchmark class */
    MVOI_BUYER_KIND_GEMEENTE,
    MVOI_BUYER_KIND_PROVINCIE,
    MVOI_BUYER_KIND_WATERSCHAP,
    MVOI_BUYER_KIND_RIJK,
    MVOI_BUYER_KINDS
} mvoi_buyer_kind_t;

/* "gemeente", ... ("" for NONE). */
const char *mvoi_buyer_kind_name(mvoi_buyer_kind_t k);
#define MVOI_BUYER_TEXT_MAX 256

typedef struct {
    char id[MVOI_ID_BUYER_MAX + 1];
    char name[MVOI_BUYER_TEXT_MAX];
    char organizer[MVOI_BUYER_TEXT_MAX];   /* "" when not given */
    char domain[MVOI_BUYER_TEXT_MAX];
    char oin[32];
    char kvk[32];
    /* The benchmark's profile (buyers_profile.c; every field optional, 0/"" = not known):
     * kind of organisation, inhabitants and yearly purchasing volume, each with the year
     * and public source it was taken from. */
    mvoi_buyer_kind_t kind;
    int64_t inhabitants;
    unsigned inhabitants_year;
    char inhabitants_source[MVOI_BUYER_TEXT_MAX];
    int64_t volume_eur;                    /* purchasing volume per year, whole euros */
    unsigned volume_year;
    char volume_source[MVOI_BUYER_TEXT_MAX];
    /* The Manifest MVOI ambition level (1..5) the buyer declared per theme (index 1..6 as
     * the Theme enum; 0 = not declared) for level_year, from level_source. */
    uint8_t level[7];
    unsigned level_year;
    char level_source[MVOI_BUYER_TEXT_MAX];
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
