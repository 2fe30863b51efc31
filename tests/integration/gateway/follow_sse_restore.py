#!/usr/bin/env python3
"""A dashboard stream that resumes (Last-Event-ID "<epoch>-<incarnation>-<seq>") after the
kpi-aggregator
came back from an older copy of its store: same epoch, its seqs counted again from the
copy's head, so an old position names another history.

calendar, impact-calculator, kpi-aggregator and gateway run for real. heerlen and landgraaf
register the same tender id and record fair-trade measurements with the same ids (sums
computed here):

1. heerlen 1, landgraaf 10; the aggregator is killed (-9) and its store copied (the backup).
2. landgraaf +20 = 30; heerlen +2, +4, +8, +16 = 31, one at a time. heerlen's stream opens:
   a snapshot with 31, its last id P. The stream closes (the browser is away).
3. Away: heerlen +32 = 63.
4. The aggregator is killed and its store replaced by the backup: it replays the six
   measurements after its cursor in one batch, so heerlen's 2026 total (63) gets a seq at
   or below P in the new history. heerlen then records 2027 measurements until its view is
   past P.
5. The browser resumes from P. What it is sent must bring it to 63. Before the fix, P lay
   within the view's [base, head] of the same epoch: the resume was a delta of the totals
   after P, which holds no 2026 total, and the page kept 31 while the aggregator says 63.

With --gateway-restart the gateway is also restarted after the restore, before it has heard
of the new history. A gateway that never knew the old history cannot tell P's seq from one of
the new history by the seq; the incarnation in the id (gw_sse_frame.h) tells it. Before that,
the page kept 31 here too.

    follow_sse_restore.py BUILD_DIR [--gateway-restart]
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway_rebuild as gr  # noqa: E402  (Stack, Stream, get, fair, wait_for; BUILD from argv)
import gateway_resume as rs   # noqa: E402  (parse_id, fair_of, measure, kpi, wait_sums)

KEY = "kpi.heerlen.fairtrade.2026"
STEPS = (2, 4, 8, 16)      # heerlen's measurements before its stream opens: 1 + 30 = 31
AWAY = 32                  # and the one while it is away
WANT = 1 + sum(STEPS) + AWAY   # 63
GW_RESTART = "--gateway-restart" in sys.argv[2:]


def fail(msg):
    raise SystemExit("follow_sse_restore: " + msg)


def total_seq(body, key):
    ts = [t for t in body["totals"] if t["key"] == key]
    return int(ts[0]["seq"]) if ts else None


def scenario(stack, http, run):
    for b in ("heerlen", "landgraaf"):
        r = run("--buyer", b, "tender", "add", "--id", "GR-1", "--title", "Koffie",
                "--kind", "leveringen", "--publication", "2026-02-01", "--group", "FAC")
        if r.returncode != 0:
            fail("tender add %s: %s" % (b, r.stderr))
    rs.measure(run, "heerlen", "GR-M-0", 1)
    rs.measure(run, "landgraaf", "GR-M-0", 10)
    rs.wait_sums(http, {"heerlen": 1, "landgraaf": 10})
    kdir = os.path.join(stack.tmp, "kpi-aggregator")
    stack.stop("kpi", sig_kill=True)
    shutil.copytree(kdir, os.path.join(stack.tmp, "bk-kpi"),
                    ignore=shutil.ignore_patterns("lock.mdb", "*.lock"))
    stack.start("kpi")
    rs.measure(run, "landgraaf", "GR-M-1", 20)
    for i, k in enumerate(STEPS):   # one at a time: each moves heerlen's totals again
        rs.measure(run, "heerlen", "GR-M-%d" % (i + 1), k)
    seen = 1 + sum(STEPS)
    rs.wait_sums(http, {"heerlen": seen, "landgraaf": 30})
    s = gr.Stream(http, "heerlen")
    got = s.events(1.5)
    s.close()
    if rs.fair_of(got, "heerlen") != seen:
        fail("the stream did not begin with heerlen's %d: %s" % (seen, got))
    p = s.last_id
    epoch, pseq = rs.parse_id(p)
    rs.measure(run, "heerlen", "GR-M-9", AWAY)   # while the browser is away
    rs.wait_sums(http, {"heerlen": WANT})

    stack.stop("kpi", sig_kill=True)
    shutil.rmtree(kdir)
    shutil.copytree(os.path.join(stack.tmp, "bk-kpi"), kdir)
    if GW_RESTART:
        stack.stop("gateway")
    stack.start("kpi")
    if GW_RESTART:
        stack.start("gateway")
        gr.wait_for("the gateway again", lambda: gr.get(http, "/healthz")[0] == 200)
    rs.wait_sums(http, {"heerlen": WANT, "landgraaf": 30}, timeout=60)
    # the gateway has taken the new history in once heerlen's 2026 total shows its new seq
    # (until it notices the restart its old view shows the same sums)
    seen_now = {}

    def new_history():
        b = seen_now["body"] = rs.kpi(http, "heerlen")
        return bool(b) and b["epoch"] == epoch and (total_seq(b, KEY) or pseq + 1) <= pseq
    gr.wait_for("heerlen's 2026 total at or below seq %d (the new history)" % pseq,
                new_history, timeout=30)
    low = total_seq(seen_now["body"], KEY)
    for i in range(200):   # heerlen's 2027 totals take its view past P
        body = rs.kpi(http, "heerlen")
        if body and body["seq"] > pseq + 2:
            break
        rs.measure(run, "heerlen", "GR-Y-%d" % i, 1, year=2027)
    else:
        fail("heerlen's view did not pass seq %d" % pseq)
    rs.wait_sums(http, {"heerlen": WANT})
    body = rs.kpi(http, "heerlen")
    s = gr.Stream(http, "heerlen", p)
    got = s.events(2.5)
    s.close()
    shown = rs.fair_of(got, "heerlen")
    if shown != WANT:
        fail("the resume from %s (same epoch, the aggregator restored from an older copy%s; "
             "heerlen's 2026 total now at seq %d, view %d) leaves %s fair-trade products "
             "on the page, not %d: %s" % (p, ", the gateway restarted" if GW_RESTART else "",
                                          low, body["seq"], "%d (kept)" % seen
                                          if shown is None else shown, WANT, got))
    return p, low, body["seq"]


def main():
    p, low, head = gr.fleet("fsr", scenario)
    print("follow_sse_restore: resume from %s after the aggregator's restore%s (heerlen's "
          "2026 total at seq %d, view at %d): the page shows %d"
          % (p, " and the gateway's restart" if GW_RESTART else "", low, head, WANT))


if __name__ == "__main__":
    main()
