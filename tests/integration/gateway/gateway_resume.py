#!/usr/bin/env python3
"""A dashboard stream that resumes (Last-Event-ID) within one epoch of the kpi-aggregator and
across a new one (its store wiped and counted again from seq 1).

calendar, impact-calculator, kpi-aggregator and gateway run for real. heerlen and landgraaf
register the same tender id and record fair-trade measurements with the same ids: heerlen
1+2+3 = 6, landgraaf 10+20 = 30 (sums computed here). Shown:

1. every event id is "<epoch>-<incarnation>-<seq>" with the epoch /api/kpi reports;
2. within the epoch a resume is exact and a delta, not a snapshot: after heerlen +4 (= 10)
   and landgraaf +5 (= 35) each buyer's resumed stream gets its own new sum and nothing of
   the other buyer (same ids);
3. across a new epoch (the impact-calculator's and the aggregator's stores wiped; heerlen
   records 7 products for 2026 and then 2027 measurements until its totals pass the old
   position) the old id is no position: the resume gets a full snapshot with heerlen's 7
   for 2026, never the 10 of the old history. (A seq alone as id fell inside the new
   history: the resume sent the totals after it only, and the page kept 10.)

    gateway_resume.py BUILD_DIR
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway_rebuild as gr  # noqa: E402  (Stack, Stream, get, fair, wait_for; BUILD from argv)

BUYERS = {"heerlen": [1, 2, 3], "landgraaf": [10, 20]}


def fail(msg):
    raise SystemExit("resume: " + msg)


def parse_id(eid):
    """(epoch, seq) of an event id "<epoch>-<incarnation>-<seq>"."""
    parts = (eid or "").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        fail("event id %r is not <epoch>-<incarnation>-<seq>" % eid)
    return int(parts[0]), int(parts[2])


def fair_of(events, buyer, year=2026):
    """The stream's last figure of buyer's fair-trade products in year, None if none came."""
    key, got = "kpi.%s.fairtrade.%d" % (buyer, year), None
    for _, ev, d in events:
        if ev == "snapshot":
            got = None
            for t in d["totals"]:
                if t["key"] == key:
                    got = int(t.get("realisation", 0))
        elif ev == "kpi" and d.get("key") == key:
            got = int(d.get("realisation", 0))
    return got


def measure(run, buyer, mid, k, year=2026):
    for _ in range(100):   # the calculator learns the tender from the calendar
        r = run("--buyer", buyer, "measure", "add", "--id", mid, "--tender", "GR-1",
                "--period", "%d-03-01..%d-03-31" % (year, year), "--kind", "fairtrade",
                "--category", "koffie", "--products", str(k), "--fair", str(k), "--wait")
        if r.returncode == 0:
            return
        time.sleep(0.1)
    fail("measure add %s %s: %s" % (buyer, mid, r.stderr))


def kpi(http, buyer):
    st, body = gr.get(http, "/api/kpi?buyer=" + buyer)
    return body if st == 200 else None


def wait_sums(http, want, timeout=30.0):
    def exact():
        for b, n in want.items():
            body = kpi(http, b)
            if not body or gr.fair(body, b) != n:
                return False
        return True
    gr.wait_for("the sums %s" % want, exact, timeout)


def within_epoch(http, run):
    for b in BUYERS:
        r = run("--buyer", b, "tender", "add", "--id", "GR-1", "--title", "Koffie",
                "--kind", "leveringen", "--publication", "2026-02-01", "--group", "FAC")
        if r.returncode != 0:
            fail("tender add %s: %s" % (b, r.stderr))
    for b, ks in BUYERS.items():
        for i, k in enumerate(ks):
            measure(run, b, "GR-M-%d" % i, k)
    wait_sums(http, {"heerlen": 1 + 2 + 3, "landgraaf": 10 + 20})
    epoch = kpi(http, "heerlen")["epoch"]
    ids = {}
    for b, want in (("heerlen", 6), ("landgraaf", 30)):
        s = gr.Stream(http, b)
        got = s.events(1.5)
        if fair_of(got, b) != want or not any(ev == "snapshot" for _, ev, _ in got):
            fail("%s's stream did not begin with a snapshot of %d: %s" % (b, want, got))
        e, _ = parse_id(s.last_id)
        if e != epoch:
            fail("%s: the id %s does not carry the epoch %d of /api/kpi" % (b, s.last_id, epoch))
        ids[b] = s.last_id
        s.close()
    # away: heerlen +4, landgraaf +5 (the same measurement id GR-M-3 / GR-M-2 each)
    measure(run, "heerlen", "GR-M-3", 4)
    measure(run, "landgraaf", "GR-M-2", 5)
    wait_sums(http, {"heerlen": 6 + 4, "landgraaf": 30 + 5})
    last = None
    for b, want in (("heerlen", 10), ("landgraaf", 35)):
        s = gr.Stream(http, b, ids[b])
        got = s.events(1.5)
        if any(ev == "snapshot" for _, ev, _ in got):
            fail("%s: a resume within the epoch was answered with a snapshot" % b)
        if fair_of(got, b) != want:
            fail("%s: the resume from %s did not bring %d: %s" % (b, ids[b], want, got))
        other = [d["key"] for _, ev, d in got if ev == "kpi" and d["buyer"] != b]
        if other:
            fail("%s's resumed stream got another buyer's totals: %s" % (b, other))
        if b == "heerlen":
            last = s.last_id
        s.close()
    return epoch, last


def new_epoch(stack, http, run, old_epoch, last):
    """The aggregator and the impact-calculator start over; heerlen has 7 for 2026 now."""
    _, last_seq = parse_id(last)
    stack.stop("impact")
    stack.stop("kpi", sig_kill=True)
    shutil.rmtree(os.path.join(stack.tmp, "kpi-aggregator"))
    shutil.rmtree(os.path.join(stack.tmp, "impact-calculator"))
    stack.start("impact")
    stack.start("kpi")
    measure(run, "heerlen", "GR-N-0", 7)
    # heerlen's other totals (2027) go past the old position; 2026 stays at its early seq
    for i in range(200):
        body = kpi(http, "heerlen")
        if body and body["epoch"] != old_epoch and body["seq"] > last_seq:
            break
        measure(run, "heerlen", "GR-Y-%d" % i, 1, year=2027)
    else:
        fail("heerlen's totals did not pass seq %d of the old epoch" % last_seq)
    wait_sums(http, {"heerlen": 7}, timeout=60)
    body = kpi(http, "heerlen")
    s = gr.Stream(http, "heerlen", last)
    got = s.events(2.5)
    s.close()
    shown = fair_of(got, "heerlen")
    if shown != 7:   # nothing of 2026 in the resume: the page keeps the 10 it had
        fail("the resume from %s (epoch %d) across the new epoch %d (head %d) leaves %s "
             "fair-trade products for 2026 on the page, not 7: %s" % (
                 last, old_epoch, body["epoch"], body["seq"],
                 "10 (kept)" if shown is None else shown, got))
    first = [ev for _, ev, _ in got if ev != "status"][:1]
    if first != ["snapshot"]:
        fail("the resume across epochs was not answered with a full snapshot: %s" % got)
    e, _ = parse_id(s.last_id)
    if e != body["epoch"]:
        fail("the new id %s does not carry the new epoch %d" % (s.last_id, body["epoch"]))
    return body


def main():
    def scenario(stack, http, run):
        epoch, last = within_epoch(http, run)
        return epoch, last, new_epoch(stack, http, run, epoch, last)

    epoch, last, body = gr.fleet("gws", scenario)
    print("resume: within epoch %d heerlen 10 and landgraaf 35 as deltas; from %s across "
          "epoch %d (head %d): a snapshot with heerlen's 7" % (epoch, last, body["epoch"],
                                                              body["seq"]))


if __name__ == "__main__":
    main()
