#!/usr/bin/python3
"""Reads every message of a Maildir (new/, cur/) or a directory of .eml files and prints one
line per message, checking invitations (kick-off, SDG dialogue) with python3-icalendar:

  KIND TENDER DUE(YYYY-MM-DDTHH:MM) UID METHOD SEQUENCE DTSTART(local) MESSAGE-ID STATUS RCPT
  BUYER

RCPT is the envelope recipient (aiosmtpd's X-RcptTo) or else the To: address.

STATUS is "ok" or "bad:<reason>". The .ics attachments are written to OUTDIR/<n>.ics so that
the C test can parse them with libical as well. Usage: nt_check.py DIR OUTDIR
"""
import email
import email.policy
import os
import sys
from datetime import timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar

AMS = ZoneInfo("Europe/Amsterdam")


def files(d):
    out = []
    for sub in ("new", "cur", ""):
        p = os.path.join(d, sub)
        if not os.path.isdir(p):
            continue
        for f in sorted(os.listdir(p)):
            fp = os.path.join(p, f)
            if os.path.isfile(fp) and (sub or f.endswith(".eml")):
                out.append(fp)
    return out


def check_ics(data, method_ct):
    cal = Calendar.from_ical(data)
    method = str(cal.get("METHOD"))
    ev = [c for c in cal.walk("VEVENT")]
    if len(ev) != 1:
        return None, "one VEVENT expected"
    ev = ev[0]
    if method != method_ct:
        return None, "METHOD %s vs Content-Type method=%s" % (method, method_ct)
    if not ev.get("ORGANIZER"):
        return None, "no ORGANIZER"
    att = ev.get("ATTENDEE")
    if not att:
        return None, "no ATTENDEE"
    st = ev.decoded("DTSTART")
    if st.tzinfo is None or st.utcoffset().total_seconds() != 0:
        return None, "DTSTART not UTC"
    loc = st.astimezone(AMS)
    if method == "REQUEST":
        if loc.weekday() >= 5 or not (9 <= loc.hour < 17):
            return None, "DTSTART %s outside office hours" % loc
        if not [c for c in ev.walk("VALARM")]:
            return None, "no VALARM"
    info = (str(ev.get("UID")), method, int(ev.get("SEQUENCE", 0)), loc.strftime("%Y-%m-%dT%H:%M"))
    return info, None


def main():
    d, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for fp in files(d):
        with open(fp, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        kind = msg.get("X-MVOI-Kind", "-")
        tender = msg.get("X-MVOI-Tender", "-") or "-"
        due = (msg.get("X-MVOI-Due", "-") or "-").replace(" ", "T")
        mid = msg.get("Message-ID", "-")
        uid, method, seq, dt, status = "-", "-", -1, "-", "ok"
        cal_parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        att = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
        if kind in ("kickoff_invitation", "kickoff_cancelled", "sdg_dialogue"):
            if len(cal_parts) != 1 or len(att) != 1:
                status = "bad:calendar part and invite.ics attachment expected"
            else:
                ct_method = cal_parts[0].get_param("method", "").upper()
                data = cal_parts[0].get_payload(decode=True)
                if data != att[0].get_payload(decode=True):
                    status = "bad:inline and attached .ics differ"
                info, err = check_ics(data, ct_method)
                if err:
                    status = "bad:" + err.replace(" ", "_")
                else:
                    uid, method, seq, dt = info
                with open(os.path.join(outdir, "%d.ics" % n), "wb") as f:
                    f.write(data)
        rcpt = msg.get("X-RcptTo") or msg.get("To", "-")
        rcpt = rcpt.split("<")[-1].rstrip(">").strip() or "-"
        buyer = msg.get("X-MVOI-Buyer", "-") or "-"
        print(kind, tender, due, uid, method, seq, dt, mid, status, rcpt, buyer)
        n += 1


main()
