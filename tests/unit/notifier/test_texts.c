/*  notifier texts as the recipients read them: names, weekday dates, place, agenda, what to
 *  prepare, who else is invited, what changed, the reason, what is missing and how to record
 *  it, SDGs, the measurement period and deadline; the iCalendar part: CN on attendees,
 *  DESCRIPTION without the footer, the organizer not an attendee, From = ORGANIZER. The
 *  expected dates are written out by hand (a calendar lookup), not computed by the code. */
#include <criterion/criterion.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt_cal.h"
#include "nt_msg.h"

/* The moment a copy is rendered for sending: its Date: and DTSTAMP. */
#define S_NOW 1767261600000LL   /* 2026-01-01T10:00:00Z */

#define K(x) MVOI__REMINDER_KIND__REM_##x

static nt_msg_cfg_t s_cfg = { .lang = TEXT_NL, .mail_from = "mvoi-noreply@heerlen.example",
                              .location = "Stadhuis Heerlen, zaal 2.14",
                              .dashboard_url = "https://mvoi.heerlen.example/",
                              .alarm_minutes = 15, .min_lead_days = 10 };

static Mvoi__Person s_pl = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Piet Leider",
                             "pl@heerlen.example" };
static Mvoi__Person s_bh = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Bea Houder",
                             "bh@heerlen.example" };
static Mvoi__Person s_ia = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Ina Adviseur",
                             "inkoop@heerlen.example" };
static Mvoi__Person s_new = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nina Nieuw",
                              "nn@heerlen.example" };
static Mvoi__Person *s_att[] = { &s_pl, &s_bh, &s_ia };

static Mvoi__ThemeAmbition s_th1 = { PROTOBUF_C_MESSAGE_INIT(&mvoi__theme_ambition__descriptor),
                                     true, MVOI__THEME__THEME_KLIMAAT, false, 0, 0, NULL, NULL };
static Mvoi__ThemeAmbition s_th2 = { PROTOBUF_C_MESSAGE_INIT(&mvoi__theme_ambition__descriptor),
                                     true, MVOI__THEME__THEME_CIRCULAIR, true,
                                     MVOI__COMMITMENT__COMMIT_EIS, 0, NULL, NULL };
static Mvoi__ThemeAmbition *s_themes[] = { &s_th1, &s_th2 };
static uint32_t s_sdgs[] = { 12, 13 };

static Mvoi__Tender s_tender(void)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "X-001";
    t.buyer = "heerlen";
    t.title = "Onderhoud openbare verlichting";
    t.planned_publication = "2027-02-22";
    t.contract_start = "2027-07-01";
    t.contract_end = "2029-06-30";
    t.project_leader = &s_pl;
    t.budget_holder = &s_bh;
    t.procurement_adviser = &s_ia;
    t.n_themes = 2;
    t.themes = s_themes;
    t.has_sroi_pct_bp = true;
    t.sroi_pct_bp = 500;
    t.has_value_cents = true;
    t.value_cents = 30000000;
    t.has_sroi_obligation_cents = true;
    t.sroi_obligation_cents = 1500000;
    t.n_sdgs = 2;
    t.sdgs = s_sdgs;
    return t;
}

static char *s_rcpt[] = { "pl@heerlen.example" };

static Mvoi__Reminder s_rem(Mvoi__ReminderKind k, Mvoi__Tender *t)
{
    Mvoi__Reminder r = MVOI__REMINDER__INIT;
    r.id = "heerlen/X-001/kickoff_invitation/1/v0/pl@heerlen.example";
    r.buyer = "heerlen";
    r.tender_id = "X-001";
    r.title = t->title;
    r.tender = t;
    r.has_kind = true;
    r.kind = k;
    r.uid = "kickoff/heerlen/X-001@heerlen.example";
    /* Monday 25 January 2027, 10:00-11:00 in Amsterdam (CET): 09:00-10:00 UTC. */
    r.has_meeting_start_ms = r.has_meeting_end_ms = true;
    r.meeting_start_ms = 1800867600000LL;
    r.meeting_end_ms = r.meeting_start_ms + 3600000;
    r.has_due_ms = r.has_created_ms = true;
    r.due_ms = r.created_ms = r.meeting_start_ms - 20LL * 86400000;
    r.recipients = s_rcpt;
    r.n_recipients = 1;
    r.recipient_name = "Piet Leider";
    r.organizer = "MVOI-coördinator Heerlen <mvoi@heerlen.example>";
    r.attendees = s_att;
    r.n_attendees = 3;
    return r;
}

static char *s_text(const Mvoi__Reminder *r, char **subject)
{
    char *subj = NULL, *text = NULL;
    cr_assert_eq(nt_msg_render(&s_cfg, r, &subj, &text), 0);
    if (subject)
        *subject = subj;
    else
        free(subj);
    return text;
}

#define HAS(text, s) cr_assert(strstr(text, s), "missing \"%s\" in:\n%s", s, text)
#define HASNT(text, s) cr_assert(!strstr(text, s), "unexpected \"%s\" in:\n%s", s, text)

Test(nt_texts, invitation_names_date_place_agenda_preparation_invitees)
{
    cr_assert_eq(1800867600000LL / 1000, 1800867600);   /* date -u -d @1800867600: Mon 25 Jan 2027 09:00 UTC */
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(KICKOFF_INVITATION), &t);
    char *subj = NULL, *x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Uitnodiging startsessie: Onderhoud openbare verlichting");
    HAS(x, "Beste Piet Leider,");
    HASNT(x, "Beste collega");
    HAS(x, "Wanneer: maandag 25 januari 2027, 10.00-11.00 uur");
    HAS(x, "Waar: Stadhuis Heerlen, zaal 2.14");
    HAS(x, "Uitgenodigd: Bea Houder (budgethouder), Ina Adviseur (inkoopadviseur)");
    HASNT(x, "Uitgenodigd: Piet Leider");   /* the others, not the reader */
    HAS(x, "Agenda:\n1. Kennismaking en rollen");
    HAS(x, "5. Afspraken: wie legt de ambitie vast, en wanneer");
    HAS(x, "- Klimaat: nog geen keuze (actieplan: nu niveau 2");
    HAS(x, "- Circulair: eis (actieplan");
    HAS(x, "Social Return: 5 % van de opdrachtwaarde (€ 15.000)");
    HAS(x, "Planning: publicatie gepland op maandag 22 februari 2027; contract van donderdag "
           "1 juli 2027 tot en met zaterdag 30 juni 2029");
    HAS(x, "Ter voorbereiding:\n- een conceptambitie per thema in scope");
    HAS(x, "\n-- \nDit bericht is automatisch verstuurd");
    free(subj);
    free(x);
    /* English on request. */
    s_cfg.lang = TEXT_EN;
    x = s_text(&r, NULL);
    HAS(x, "Dear Piet Leider,");
    HAS(x, "When: Monday 25 January 2027, 10:00-11:00");
    free(x);
    s_cfg.lang = TEXT_NL;
}

Test(nt_texts, update_says_what_changed_from_what_cancel_gives_the_reason)
{
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(KICKOFF_INVITATION), &t);
    r.has_sequence = true;
    r.sequence = 1;
    r.has_prev_meeting_start_ms = r.has_prev_meeting_end_ms = true;
    r.prev_meeting_start_ms = r.meeting_start_ms - 7LL * 86400000;   /* Monday 18 January */
    r.prev_meeting_end_ms = r.prev_meeting_start_ms + 3600000;
    Mvoi__Person *added[] = { &s_new }, *removed[] = { &s_ia };
    r.added = added;
    r.n_added = 1;
    r.removed = removed;
    r.n_removed = 1;
    char *subj = NULL, *x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Gewijzigd: startsessie Onderhoud openbare verlichting");
    HAS(x, "Wat is er gewijzigd:\n- Datum en tijd: was maandag 18 januari 2027, 10.00-11.00 uur, "
           "wordt maandag 25 januari 2027, 10.00-11.00 uur");
    HAS(x, "- Nieuw uitgenodigd: Nina Nieuw");
    HAS(x, "- Niet meer uitgenodigd: Ina Adviseur (inkoopadviseur)");
    cr_expect(strstr(x, "\n\nWat is er gewijzigd") && !strstr(x, "\n\n\nWat is er gewijzigd"),
              "one blank line before the changes:\n%s", x);
    free(subj);
    free(x);
    Mvoi__Reminder c = s_rem(K(KICKOFF_CANCELLED), &t);
    c.reason = "budget ingetrokken door de raad";
    x = s_text(&c, &subj);
    cr_assert_str_eq(subj, "Geannuleerd: startsessie Onderhoud openbare verlichting");
    HAS(x, "gaat niet door");
    HAS(x, "Wanneer: maandag 25 januari 2027, 10.00-11.00 uur");
    HAS(x, "Reden: budget ingetrokken door de raad");
    HAS(x, "Waar: Stadhuis Heerlen, zaal 2.14");   /* which session: where it was */
    free(subj);
    free(x);
    const char *loc = s_cfg.location;   /* no place yet: none is promised for it */
    s_cfg.location = NULL;
    x = s_text(&c, &subj);
    s_cfg.location = loc;
    HASNT(x, "Waar:");
    free(subj);
    free(x);
    c.reason = "removed";
    x = s_text(&c, &subj);
    cr_assert_str_eq(subj, "Uitnodiging vervallen: startsessie Onderhoud openbare verlichting");
    HAS(x, "niet meer uitgenodigd");
    free(subj);
    free(x);
}

/* A tender its source cancelled: the mail names the source, in the reader's language, from
 * the facts the tender carries. It said "het inkooptraject is geannuleerd" without the
 * source for a sheet's cancellation, and the English "(OCDS <date>)" stored by the OCDS
 * import for a release's. The texts are written out here. */
Test(nt_texts, a_cancel_by_its_source_names_the_source)
{
    Mvoi__Tender t = s_tender();
    t.has_status = true;
    t.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    t.source = "csv";
    t.has_cancel_without_reason = t.cancel_without_reason = true;
    Mvoi__Reminder c = s_rem(K(KICKOFF_CANCELLED), &t);
    char *x = s_text(&c, NULL);
    HAS(x, "Reden: geannuleerd door de bron (csv)\n");
    free(x);
    s_cfg.lang = TEXT_EN;
    x = s_text(&c, NULL);
    HAS(x, "cancelled by the source (csv)\n");
    free(x);
    s_cfg.lang = TEXT_NL;
    /* an OCDS release: the publisher's words (the plan copies them as the reason) and the
     * release, said in Dutch; without its words, the release named */
    Mvoi__OcdsCancellation o = MVOI__OCDS_CANCELLATION__INIT;
    o.release_id = "r-302";
    o.release_date = "2025-05-20T16:00:00+02:00";
    t.source = "ocds:ocds-hrl042-2025-302";
    t.has_cancel_without_reason = t.cancel_without_reason = false;
    t.cancel_ocds = &o;
    t.cancel_reason = c.reason = "Ingetrokken: geen geldige inschrijvingen";
    x = s_text(&c, NULL);
    HAS(x, "Reden: Ingetrokken: geen geldige inschrijvingen (OCDS-publicatie van 20 mei "
           "2025)\n");
    free(x);
    t.cancel_reason = c.reason = NULL;
    t.has_cancel_without_reason = t.cancel_without_reason = true;
    x = s_text(&c, NULL);
    HAS(x, "Reden: geannuleerd in OCDS-publicatie r-302 (20 mei 2025)\n");
    free(x);
    /* a reason of the plan's own, not the tender's: as written */
    c.reason = "tender cancelled";
    x = s_text(&c, NULL);
    HAS(x, "Reden: tender cancelled\n");
    free(x);
}

Test(nt_texts, ambition_reminder_names_missing_themes_and_how_to_record)
{
    Mvoi__Tender t = s_tender();
    t.has_sroi_pct_bp = false;
    t.sroi_pct_bp = 0;
    Mvoi__Reminder r = s_rem(K(AMBITION_MISSING), &t);
    r.has_ordinal = true;
    r.ordinal = 2;
    char *x = s_text(&r, NULL);
    HAS(x, "(herinnering 2)");
    HAS(x, "Nog vast te leggen:\n- Klimaat\n- Social Return: nog te bepalen");
    HASNT(x, "- Circulair\n");   /* committed already */
    HAS(x, "Opdrachtregel: mvoictl --buyer heerlen tender ambition X-001 --theme klimaat:eis "
           "--sroi 5% (per thema: eis, gunning of innovatie)");
    HAS(x, "Dashboard: https://mvoi.heerlen.example/");
    free(x);
}

Test(nt_texts, sdg_dialogue_is_an_invitation_with_the_pilots_sdgs)
{
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(SDG_DIALOGUE), &t);
    r.has_ordinal = true;
    r.ordinal = 1;
    r.uid = "sdg1/heerlen/X-001@heerlen.example";
    char *subj = NULL, *x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Uitnodiging SDG-dialoog 1: Onderhoud openbare verlichting");
    HASNT(x, "pilot Pilot");
    HAS(x, "U bent uitgenodigd voor SDG-dialoog 1 van de pilot \"Onderhoud openbare verlichting\"");
    HAS(x, "- SDG 12 Verantwoorde consumptie en productie\n- SDG 13 Klimaatactie");
    HAS(x, "Wanneer: maandag 25 januari 2027, 10.00-11.00 uur");
    char *ics = nt_msg_ics(&s_cfg, &r, S_NOW);
    cr_assert_not_null(ics, "an SDG dialogue carries an iCalendar invitation");
    HAS(ics, "METHOD:REQUEST");
    free(ics);
    free(subj);
    free(x);
}

Test(nt_texts, measurement_request_period_what_deadline_how)
{
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(MEASUREMENT_REQUEST), &t);
    r.has_meeting_start_ms = false;
    r.period_start = "2027-07-01";
    r.period_end = "2027-09-30";
    r.deadline = "2027-10-30";
    char *subj = NULL, *x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Meetverzoek 2027-09: Onderhoud openbare verlichting");
    HAS(x, "over de periode van donderdag 1 juli 2027 tot en met donderdag 30 september 2027? "
           "Uiterlijk zaterdag 30 oktober 2027.");
    HAS(x, "Wat u aanlevert:\n- Klimaat: liters brandstof");
    HAS(x, "- Circulair: kg hergebruikt");
    HAS(x, "mvoictl --buyer heerlen measure add --id ID --tender X-001 --phase realisation "
           "--period 2027-07-01..2027-09-30");
    free(subj);
    free(x);
}

Test(nt_texts, ics_cn_no_footer_organizer_not_attendee_from_is_organizer)
{
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(KICKOFF_INVITATION), &t);
    char *ics = nt_msg_ics(&s_cfg, &r, S_NOW);
    icalcomponent *c = icalparser_parse_string(ics);
    icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
    int n = 0;
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY), n++) {
        icalparameter *cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
        cr_assert_not_null(cn, "%s without CN", icalproperty_get_attendee(p));
        cr_assert_str_neq(icalproperty_get_attendee(p), "mailto:mvoi@heerlen.example");
    }
    cr_assert_eq(n, 3);
    icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
    cr_assert_str_eq(icalproperty_get_organizer(org), "mailto:mvoi@heerlen.example");
    cr_assert_str_eq(icalparameter_get_cn(icalproperty_get_first_parameter(org, ICAL_CN_PARAMETER)),
                     "MVOI-coördinator Heerlen");
    const char *desc = icalcomponent_get_description(ev);
    cr_assert(strstr(desc, "Wanneer: maandag 25 januari 2027"), "%s", desc);
    cr_assert(!strstr(desc, "automatisch verstuurd"), "DESCRIPTION without footer: %s", desc);
    icalcomponent_free(c);
    free(ics);
    nt_buf_t m = { 0 };
    cr_assert_eq(nt_msg_mail(&s_cfg, &r, S_NOW, &m), 0);
    cr_assert_eq(strncmp(m.data, "From: =?UTF-8?B?", 16), 0);   /* the organizer's name */
    HAS(m.data, " <mvoi@heerlen.example>\r\nSender: mvoi-noreply@heerlen.example\r\n");
    HAS(m.data, "To: Piet Leider <pl@heerlen.example>\r\n");
    nt_buf_free(&m);
}

/* A session too close to its publication says how close; one after a publication date
 * that already passed says that, not "fewer than 10 days in between". */
Test(nt_texts, late_kickoff_says_too_close_or_after_the_publication)
{
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(KICKOFF_LATE), &t);   /* the session: Monday 25 January 2027 */
    t.planned_publication = "2027-01-29";
    char *subj = NULL, *x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Let op: startsessie te kort voor publicatie: Onderhoud openbare "
                           "verlichting");
    HAS(x, "maar de publicatie is gepland op vrijdag 29 januari 2027: minder dan");
    free(subj);
    free(x);
    t.planned_publication = "2026-11-18";
    x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Let op: startsessie na de geplande publicatie: Onderhoud openbare "
                           "verlichting");
    HAS(x, "maar de publicatie was al gepland op woensdag 18 november 2026, vóór de sessie.");
    HASNT(x, "minder dan");
    free(subj);
    free(x);
}

/* The dead-letter report says what the message's other recipients got only when true:
 * nothing when there was no other, "did receive it" only when every other copy was
 * delivered, else how many of them (singular for one other). */
static char *s_dead_text_of(text_lang_t lang, size_t others, size_t ok, const char *error,
                            bool gave_up)
{
    static Mvoi__Person p[4] = {
        { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "A", "a@heerlen.example" },
        { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "B", "b@heerlen.example" },
        { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "C", "c@heerlen.example" },
        { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "T", "typo@heerlen.example" },
    };
    static Mvoi__Person *all[3] = { &p[0], &p[1], &p[2] }, *dead[1] = { &p[3] };
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(DELIVERY_FAILED), &t);
    r.about_id = "heerlen/X-001/kickoff_invitation/1/v0/typo@heerlen.example";
    r.about_error = (char *)error;
    r.has_about_gave_up = gave_up;
    r.about_gave_up = gave_up;
    r.removed = dead;
    r.n_removed = 1;
    r.attendees = all;
    r.n_attendees = others;
    r.added = all;
    r.n_added = ok;
    nt_msg_cfg_t cfg = s_cfg;
    cfg.lang = lang;
    char *subj = NULL, *text = NULL;
    cr_assert_eq(nt_msg_render(&cfg, &r, &subj, &text), 0);
    free(subj);
    return text;
}

static char *s_dead_text(text_lang_t lang, size_t others, size_t ok)
{
    return s_dead_text_of(lang, others, ok, "smtp: RCPT failed: 550 (reply 550)", false);
}

/* The advice follows the cause: a refused address (5xx) is the tender's to correct; a copy
 * given up after days of temporary failures (relay down, 4xx) is not the address's fault,
 * and telling the coordinator to check it sent them the wrong way. */
Test(nt_texts, dead_letter_advice_follows_the_cause)
{
    char *x = s_dead_text(TEXT_NL, 0, 0);
    HAS(x, "Controleer het adres in het inkooptraject en stuur het bericht opnieuw met: ");
    HASNT(x, "mailserver");
    free(x);
    const char *e = "smtp: connect: Connection refused (temporary failures for 120.0 h, 131 "
                    "attempts: given up)";
    x = s_dead_text_of(TEXT_NL, 0, 0, e, true);
    HAS(x, "De mailserver was al die tijd niet bereikbaar of weigerde het bericht tijdelijk; "
           "het adres zelf is niet afgewezen. Laat de verbinding met de mailserver nakijken en "
           "stuur het bericht daarna opnieuw met: ");
    HAS(x, "(temporary failures for 120.0 h, 131 attempts: given up)");
    HASNT(x, "Controleer het adres");
    free(x);
    x = s_dead_text_of(TEXT_EN, 0, 0, e, true);
    HAS(x, "The mail server could not be reached or refused the message temporarily all that "
           "time; the address itself was not refused.");
    HASNT(x, "Check the address");
    free(x);
}

/* A copy not sent because the relay lacks SMTPUTF8 (RFC 6531) is not the address's fault:
 * telling the coordinator to check it in the tender sent them the wrong way. The advice is
 * an ASCII address in the tender if the relay cannot get SMTPUTF8, else SMTPUTF8 and the
 * resend (the command last, with nothing after it to copy with it). */
Test(nt_texts, dead_letter_advice_for_a_relay_without_smtputf8_is_the_relays)
{
    const char *e = "smtp: the relay does not offer SMTPUTF8 (RFC 6531), which this mail "
                    "needs (not ASCII: josé@heerlen.example): not sent";
    char *x = s_dead_text_of(TEXT_NL, 0, 0, e, false);
    HAS(x, "Dit bericht kan alleen worden bezorgd via een mailserver die SMTPUTF8 (RFC 6531) "
           "ondersteunt, omdat er een adres met tekens buiten ASCII in staat; de mailserver "
           "biedt dat niet aan. Het adres zelf is niet afgewezen. Kan de mailserver geen "
           "SMTPUTF8 krijgen, geef deze persoon dan in het inkooptraject een adres met alleen "
           "ASCII-tekens. Anders: laat SMTPUTF8 aanzetten op de mailserver en stuur het "
           "bericht daarna opnieuw met: mvoictl --buyer heerlen reminders resend "
           "heerlen/X-001/kickoff_invitation/1/v0/typo@heerlen.example\n");
    HASNT(x, "Controleer het adres");
    free(x);
    x = s_dead_text_of(TEXT_EN, 0, 0, e, false);
    HAS(x, "This message can only be delivered through a mail server that supports SMTPUTF8 "
           "(RFC 6531), because it holds an address with characters outside ASCII; the mail "
           "server does not offer it. The address itself was not refused. If the mail server "
           "cannot get SMTPUTF8, give this person an address of ASCII characters only in the "
           "tender. Otherwise: have SMTPUTF8 enabled on the mail server, then send the message "
           "again with: mvoictl --buyer heerlen reminders resend ");
    HASNT(x, "Check the address");
    free(x);
}

Test(nt_texts, dead_letter_report_says_the_others_got_it_only_when_true)
{
    char *x = s_dead_text(TEXT_NL, 0, 0);
    HAS(x, "Een bericht kon niet worden bezorgd bij typo@heerlen.example: \"smtp: RCPT failed: "
           "550 (reply 550)\".\n");
    HASNT(x, "andere ontvanger");
    free(x);
    x = s_dead_text(TEXT_NL, 3, 3);
    HAS(x, "(reply 550)\". De andere ontvangers hebben het wel gekregen.\n");
    free(x);
    x = s_dead_text(TEXT_NL, 1, 1);
    HAS(x, "(reply 550)\". De andere ontvanger heeft het wel gekregen.\n");
    free(x);
    x = s_dead_text(TEXT_NL, 1, 0);
    HAS(x, "(reply 550)\". De andere ontvanger heeft het (nog) niet gekregen.\n");
    HASNT(x, "wel gekregen");
    free(x);
    x = s_dead_text(TEXT_NL, 3, 0);
    HAS(x, "(reply 550)\". Andere ontvangers die het al hebben gekregen: 0 van 3.\n");
    HASNT(x, "wel gekregen");
    free(x);
    x = s_dead_text(TEXT_NL, 3, 2);
    HAS(x, "Andere ontvangers die het al hebben gekregen: 2 van 3.\n");
    free(x);
    x = s_dead_text(TEXT_EN, 0, 0);
    HAS(x, "A message could not be delivered to typo@heerlen.example: \"smtp: RCPT failed: "
           "550 (reply 550)\".\n");
    HASNT(x, "other recipient");
    free(x);
    x = s_dead_text(TEXT_EN, 3, 3);
    HAS(x, "(reply 550)\". The other recipients did receive it.\n");
    free(x);
    x = s_dead_text(TEXT_EN, 1, 0);
    HAS(x, "(reply 550)\". The other recipient has not received it (yet).\n");
    free(x);
    x = s_dead_text(TEXT_EN, 3, 1);
    HAS(x, "Other recipients who have received it so far: 1 of 3.\n");
    free(x);
}

/* The commands in a mail name the buyer: venlo's X-001 is not heerlen's, and mvoictl's
 * default buyer (MVOI_BUYER, else heerlen) would take venlo's leader's command to
 * heerlen's tender of the same id. An id with a shell's special characters ('|', '#')
 * is one quoted word. */
Test(nt_texts, commands_name_the_buyer_and_quote_the_id)
{
    Mvoi__Tender t = s_tender();
    t.buyer = "venlo";
    t.id = "V|2027#1";
    Mvoi__Reminder r = s_rem(K(AMBITION_MISSING), &t);
    r.buyer = "venlo";
    r.tender_id = "V|2027#1";
    char *x = s_text(&r, NULL);
    HAS(x, "mvoictl --buyer venlo tender ambition 'V|2027#1' --theme klimaat:eis (per");
    free(x);
    r = s_rem(K(MEASUREMENT_REQUEST), &t);
    r.buyer = "venlo";
    r.tender_id = "X-001";
    r.has_meeting_start_ms = false;
    r.period_start = "2027-07-01";
    r.period_end = "2027-09-30";
    r.deadline = "2027-10-30";
    x = s_text(&r, NULL);
    HAS(x, "mvoictl --buyer venlo measure add --id ID --tender X-001 --phase realisation");
    free(x);
}

/* Whoever is no longer invited to an SDG dialogue (a new project leader) gets a CANCEL that
 * says so, not the invitation's text. */
Test(nt_texts, sdg_invitation_withdrawn_is_a_cancel)
{
    Mvoi__Tender t = s_tender();
    Mvoi__Reminder r = s_rem(K(SDG_DIALOGUE), &t);
    r.has_ordinal = true;
    r.ordinal = 1;
    r.uid = "sdg1/heerlen/X-001@heerlen.example";
    r.reason = "removed";
    char *subj = NULL, *x = s_text(&r, &subj);
    cr_assert_str_eq(subj, "Uitnodiging vervallen: SDG-dialoog 1: Onderhoud openbare verlichting");
    HAS(x, "U bent niet meer uitgenodigd voor SDG-dialoog 1 van de pilot \"Onderhoud openbare "
           "verlichting\" (X-001). De afspraak is uit uw agenda gehaald.");
    HAS(x, "Wanneer: maandag 25 januari 2027, 10.00-11.00 uur");
    HASNT(x, "SDG's van de pilot");
    char *ics = nt_msg_ics(&s_cfg, &r, S_NOW);
    cr_assert_not_null(ics);
    HAS(ics, "METHOD:CANCEL");
    HAS(ics, "STATUS:CANCELLED");
    free(ics);
    free(subj);
    free(x);
}
