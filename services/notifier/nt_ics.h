/*  nt_ics: the kick-off invitation as iCalendar (RFC 5545, iTIP RFC 5546) built with libical.
 *
 *  DTSTART/DTEND/DTSTAMP are written in UTC ("...Z") without a VTIMEZONE (docs/libraries.md#libical:
 *  libical's builtin Amsterdam zone breaks python3-icalendar). The UID is stable per
 *  meeting (kickoff/<buyer>/<tender>@<organizer's domain>, nt_plan.c), SEQUENCE goes up
 *  per change, a cancellation is METHOD:CANCEL + STATUS:CANCELLED with the same UID. A VALARM (DISPLAY) is included;
 *  clients may ignore it, hence the separate reminder mail.
 */
#ifndef MVOI_NT_ICS_H
#define MVOI_NT_ICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *email;
    const char *name;      /* may be NULL */
} nt_person_t;

typedef struct {
    bool cancel;                 /* METHOD:CANCEL instead of REQUEST */
    const char *uid;
    unsigned sequence;
    int64_t dtstamp_ms, start_ms, end_ms;
    const char *summary, *description, *location;
    nt_person_t organizer;
    const nt_person_t *attendees;
    size_t n_attendees;
    int alarm_minutes;           /* VALARM trigger before start; 0 = none */
} nt_ics_t;

/* A malloc'ed iCalendar text (CRLF lines), or NULL. Validated with icalrestriction_check:
 * *errors (may be NULL) gets the number of X-LIC-ERROR properties found. */
char *nt_ics_build(const nt_ics_t *in, int *errors);


#endif
