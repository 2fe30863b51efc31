/*  nt_ics: see nt_ics.h. */
#include "nt_ics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libical/ical.h>

static struct icaltimetype s_utc(int64_t ms)
{
    return icaltime_from_timet_with_zone((time_t)(ms / 1000), 0, icaltimezone_get_utc_timezone());
}

static icalproperty *s_person(icalproperty *p, const nt_person_t *who, bool attendee)
{
    if (who->name && *who->name)
        icalproperty_add_parameter(p, icalparameter_new_cn(who->name));
    if (attendee) {
        icalproperty_add_parameter(p, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
        icalproperty_add_parameter(p, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
        icalproperty_add_parameter(p, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
    }
    return p;
}

char *nt_ics_build(const nt_ics_t *in, int *errors)
{
    char mailto[512];
    icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(ev, icalproperty_new_uid(in->uid));
    icalcomponent_add_property(ev, icalproperty_new_sequence((int)in->sequence));
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(s_utc(in->dtstamp_ms)));
    icalcomponent_add_property(ev, icalproperty_new_dtstart(s_utc(in->start_ms)));
    icalcomponent_add_property(ev, icalproperty_new_dtend(s_utc(in->end_ms)));
    icalcomponent_add_property(ev, icalproperty_new_summary(in->summary ? in->summary : ""));
    if (in->description)
        icalcomponent_add_property(ev, icalproperty_new_description(in->description));
    if (in->location && *in->location)
        icalcomponent_add_property(ev, icalproperty_new_location(in->location));
    icalcomponent_add_property(ev, icalproperty_new_status(in->cancel ? ICAL_STATUS_CANCELLED
                                                                      : ICAL_STATUS_CONFIRMED));
    icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
    snprintf(mailto, sizeof mailto, "mailto:%s", in->organizer.email);
    icalcomponent_add_property(ev, s_person(icalproperty_new_organizer(mailto), &in->organizer,
                                            false));
    for (size_t i = 0; i < in->n_attendees; i++) {
        snprintf(mailto, sizeof mailto, "mailto:%s", in->attendees[i].email);
        icalcomponent_add_property(ev, s_person(icalproperty_new_attendee(mailto),
                                                &in->attendees[i], true));
    }
    if (in->alarm_minutes > 0 && !in->cancel) {
        struct icaltriggertype trig = { 0 };
        trig.time = icaltime_null_time();
        trig.duration = icaldurationtype_from_int(-in->alarm_minutes * 60);
        icalcomponent *al = icalcomponent_vanew(
            ICAL_VALARM_COMPONENT, icalproperty_new_action(ICAL_ACTION_DISPLAY),
            icalproperty_new_trigger(trig),
            icalproperty_new_description(in->summary ? in->summary : "Reminder"), (void *)0);
        icalcomponent_add_component(ev, al);
    }
    icalcomponent *cal = icalcomponent_vanew(
        ICAL_VCALENDAR_COMPONENT, icalproperty_new_prodid("-//Gemeente//mvoi notifier//NL"),
        icalproperty_new_version("2.0"), icalproperty_new_calscale("GREGORIAN"),
        icalproperty_new_method(in->cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST), ev,
        (void *)0);
    icalrestriction_check(cal);
    int nerr = icalcomponent_count_errors(cal);
    if (errors)
        *errors = nerr;
    char *s = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    return s;   /* allocated with malloc by libical (icalmemory_new_buffer) */
}
