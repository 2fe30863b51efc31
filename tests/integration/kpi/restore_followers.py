#!/usr/bin/env python3
"""Consumers heal from a producer that went back (docs/design.md#rebuild), real processes.

calendar, impact-calculator and kpi-aggregator run for real; two buyers (heerlen, venlo)
use the same tender and measurement ids. Fair-trade measurements make the arithmetic
plain: KPI 1's realisation is the sum of the fair-trade products, its denominator the sum
of the products, its count the number of measurements.

A. Restore of the producer from an older copy. Phase 1 adds six measurements per buyer;
   the impact-calculator is killed (SIGKILL) and its LMDB files copied; phase 2 adds six
   more, withdraws one and corrects one; the impact-calculator is killed again and its data
   directory replaced by the copy (same epoch, head below the aggregator's cursor); phase 3
   adds four new measurements, which get seqs the aggregator has already seen. The
   aggregator must detect it, rebuild from the impact-calculator's snapshot + tail and end
   with exactly phase 1 + phase 3 (what the restored producer holds), per buyer; its health
   shows the rebuild (reason went_back) and it is ready again.
B. Cursor older than the retention. The aggregator is stopped; the impact-calculator,
   restarted with retain_events=3, takes ten more measurements and trims its outbox; the
   aggregator, started again, cannot replay from its cursor and rebuilds (reason
   retention), again to exact figures.
C. The calendar restored from an older copy (two pilot tenders lost, two new ones reusing
   their seqs): the kpi-aggregator (KPI 6's ambition: 3 pilots per buyer), the notifier
   (kick-off invitations for the new tenders) and the impact-calculator (a measurement on a
   new tender is accepted) rebuild; `mvoictl kpi pilots` gives KPI 6 by status.
D. The kpi-aggregator restored from an older copy: it replays its producers forward; the
   gateway's /api/kpi and a prefix `mvoictl kpi watch` end at the exact figure.

    restore_followers.py BUILD_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

BUILD = sys.argv[1]
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "examples"))
import dashboard_client  # noqa: E402  (its proto loader)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
from mvoi_logs import print_logs  # noqa: E402
from mvoi_ports import free_ports  # noqa: E402

PB, GEN = dashboard_client.load_messages(os.path.join(SOURCE, "proto"))
BUYERS = {"heerlen": 1, "venlo": 3}   # venlo's figures are 3x heerlen's: no mix-up hides




class Stack:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="mvoi-restore-")
        ports = free_ports(("capi", "cpub", "iapi", "ipub", "kapi", "kpub", "napi", "npub",
                            "rapi", "rpub", "http"))
        self.ep = {k: "tcp://127.0.0.1:%d" % p for k, p in ports.items() if k != "http"}
        self.base = dict(os.environ, MVOI_DATA_DIR=self.tmp, MVOI_LOG_LEVEL="info",
                         MVOI_BUYERS_OPEN="true")
        self.http = ports["http"]
        self.procs = {}
        self.ctl_env = dict(self.base, MVOI_CALENDAR_API=self.ep["capi"],
                            MVOI_IMPACT_API=self.ep["iapi"], MVOI_KPI_API=self.ep["kapi"],
                            MVOI_KPI_PUB=self.ep["kpub"], MVOI_NOTIFIER_API=self.ep["napi"],
                            MVOI_REPORT_API=self.ep["rapi"],
                            MVOI_LOG_LEVEL="warn")

    def spec(self, name, extra=None):
        ep = self.ep
        s = {
            "calendar": ("services/calendar/mvoi-calendar", {
                "MVOI_CALENDAR_API": ep["capi"], "MVOI_CALENDAR_PUB": ep["cpub"],
                "MVOI_CALENDAR_NOSYNC": "true"}),
            "impact": ("services/impact-calculator/mvoi-impact-calculator", {
                "MVOI_IMPACT_CALCULATOR_API": ep["iapi"], "MVOI_IMPACT_CALCULATOR_PUB": ep["ipub"],
                "MVOI_IMPACT_CALCULATOR_CALENDAR_API": ep["capi"],
                "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB": ep["cpub"],
                "MVOI_IMPACT_CALCULATOR_HEARTBEAT_MS": "200"}),
            "kpi": ("services/kpi-aggregator/mvoi-kpi-aggregator", {
                "MVOI_KPI_AGGREGATOR_API": ep["kapi"], "MVOI_KPI_AGGREGATOR_PUB": ep["kpub"],
                "MVOI_KPI_AGGREGATOR_CALENDAR_API": ep["capi"],
                "MVOI_KPI_AGGREGATOR_CALENDAR_PUB": ep["cpub"],
                "MVOI_KPI_AGGREGATOR_IMPACT_API": ep["iapi"],
                "MVOI_KPI_AGGREGATOR_IMPACT_PUB": ep["ipub"],
                "MVOI_KPI_AGGREGATOR_HEARTBEAT_MS": "200"}),
            "gateway": ("services/gateway/mvoi-gateway", {
                "MVOI_GATEWAY_LISTEN": "127.0.0.1:%d" % self.http, "MVOI_GATEWAY_BUYER": "heerlen",
                "MVOI_GATEWAY_KPI_API": ep["kapi"], "MVOI_GATEWAY_KPI_PUB": ep["kpub"],
                "MVOI_GATEWAY_STALE_MS": "1000"}),
            "notifier": ("services/notifier/mvoi-notifier", {
                "MVOI_NOTIFIER_API": ep["napi"], "MVOI_NOTIFIER_PUB": ep["npub"],
                "MVOI_NOTIFIER_CALENDAR_API": ep["capi"],
                "MVOI_NOTIFIER_CALENDAR_PUB": ep["cpub"]}),
            "report": ("services/report/mvoi-report", {
                "MVOI_REPORT_API": ep["rapi"], "MVOI_REPORT_PUB": ep["rpub"],
                "MVOI_REPORT_AUTO": "false", "MVOI_REPORT_KPI_API": ep["kapi"],
                "MVOI_REPORT_CALENDAR_API": ep["capi"], "MVOI_REPORT_IMPACT_API": ep["iapi"]}),
        }[name]
        env = dict(self.base, **s[1])
        env.update(extra or {})
        return os.path.join(BUILD, s[0]), env

    def start(self, name, extra=None):
        path, env = self.spec(name, extra)
        log = open(os.path.join(self.tmp, name + ".log"), "ab")
        self.procs[name] = subprocess.Popen([path], env=env, stdout=log, stderr=log)

    def kill9(self, name):
        p = self.procs.pop(name)
        p.send_signal(signal.SIGKILL)
        p.wait(10)

    def term(self, name):
        p = self.procs.pop(name)
        p.terminate()
        if p.wait(10) != 0:
            raise SystemExit("restore: %s exited with %d on SIGTERM" % (name, p.returncode))

    def stop(self):
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()

    def ctl(self, buyer, *args):
        return subprocess.run([os.path.join(BUILD, "services/mvoictl/mvoictl"),
                               "--buyer", buyer] + list(args), env=self.ctl_env,
                              capture_output=True, text=True)

    def log(self, name):
        with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
            return f.read()


def retry(fn, what, timeout=20.0):
    end = time.monotonic() + timeout
    while True:
        r = fn()
        if r.returncode == 0:
            return r
        if time.monotonic() > end:
            raise SystemExit("restore: %s: %s" % (what, r.stderr.strip()))
        time.sleep(0.1)


def add(st, buyer, mid, products, fair, wait=True, tender="T-1"):
    args = ["measure", "add", "--id", mid, "--tender", tender, "--period",
            "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category", "koffie",
            "--products", str(products), "--fair", str(fair)]
    retry(lambda: st.ctl(buyer, *(args + (["--wait"] if wait else []))),
          "measure add %s/%s" % (buyer, mid))


def fairtrade(st, buyer):
    """KPI 1 of 2026 as the aggregator answers a KpiQuery: (realisation, denominator,
    count), and the realisation `mvoictl kpi show` prints must agree."""
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.connect(st.ep["kapi"])
    try:
        env = PB.Envelope(request_id="rf-%d" % time.monotonic_ns(), schema_version=1, buyer=buyer)
        env.kpi_query.key = "kpi." + buyer + ".fairtrade.2026"
        d.send(env.SerializeToString())
        if not d.poll(3000):
            return None
        e = PB.Envelope()
        e.ParseFromString(d.recv_multipart()[-1])
    finally:
        d.close()
    if e.WhichOneof("body") != "kpi_total":
        return None
    t = e.kpi_total
    r = st.ctl(buyer, "kpi", "show", "--year", "2026", "--json")
    if r.returncode != 0:
        return None
    shown = [x for x in json.loads(r.stdout) if x["kpi"] == "fairtrade"][0]["realisation"]
    if shown != t.realisation:
        return ("kpi show", shown, t.realisation)
    return (t.realisation, t.denominator, t.count)


def expected(held, mult):
    """KPI 1 of what a producer holds: (sum fair, sum products, measurements)."""
    return (sum(f for _, f in held.values()) * mult, sum(p for p, _ in held.values()) * mult,
            len(held))


def wait_exact(st, held, what, timeout=30.0):
    end = time.monotonic() + timeout
    got = {}
    while time.monotonic() < end:
        got = {b: fairtrade(st, b) for b in BUYERS}
        if all(got[b] == expected(held, m) for b, m in BUYERS.items()):
            return time.monotonic()
        time.sleep(0.1)
    raise SystemExit("restore: %s: the aggregator shows %s, the producer holds %s" % (
        what, got, {b: expected(held, m) for b, m in BUYERS.items()}))


def snapshot_bytes(st):
    """The impact-calculator's snapshot as a rebuild of the aggregator holds it (two 4-byte
    lengths, topic, envelope per item; request id of the same length as the feed's):
    bytes per buyer."""
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.connect(st.ep["iapi"])
    per = {}
    try:
        env = PB.Envelope(request_id="rebuild-1", schema_version=1)
        env.snapshot.prefix = "impact.computed"
        d.send(env.SerializeToString())
        while d.poll(5000):
            parts = d.recv_multipart()
            if len(parts) == 1:
                return per
            e = PB.Envelope()
            e.ParseFromString(parts[-1])
            per[e.buyer] = per.get(e.buyer, 0) + 8 + len(parts[-2]) + len(parts[-1])
    finally:
        d.close()
    raise SystemExit("restore: no SnapshotEnd from the impact-calculator")


def kpi_feed(st, producer):
    r = st.ctl("heerlen", "--json", "system", "health", "kpi")
    h = json.loads(r.stdout)
    return h.get("ready", False), [x for x in h.get("inbox", [])
                                   if x.get("producer") == producer][0]


def copy_store(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("lock.mdb", "*.lock"))


def pilot_tender(st, tid):
    """A public works tender (European procedure: a kick-off is required) that is a pilot."""
    for b in BUYERS:
        retry(lambda: st.ctl(b, "tender", "add", "--id", tid, "--title", "Pilot " + tid,
                             "--kind", "werken", "--value", "6.000.000,00", "--publication",
                             "2027-06-01", "--leader", "Piet Jansen <piet@example.org>"),
              "tender add " + tid)
        retry(lambda: st.ctl(b, "tender", "ambition", tid, "--theme", "klimaat:eis",
                             "--pilot", "yes"), "tender ambition " + tid)


def pilots(st, buyer):
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.connect(st.ep["kapi"])
    try:
        env = PB.Envelope(request_id="rp-%d" % time.monotonic_ns(), schema_version=1, buyer=buyer)
        env.kpi_query.key = "kpi." + buyer + ".pilots.2027"
        d.send(env.SerializeToString())
        if not d.poll(3000):
            return None
        e = PB.Envelope()
        e.ParseFromString(d.recv_multipart()[-1])
    finally:
        d.close()
    return e.kpi_total.ambition if e.WhichOneof("body") == "kpi_total" else 0


def invitations(st, buyer, tid):
    r = st.ctl(buyer, "--json", "reminders", "list", "--tender", tid, "--limit", "100")
    if r.returncode != 0:
        return -1
    rs = json.loads(r.stdout).get("reminders", [])
    return sum(1 for x in rs if x.get("kind") == "kickoff_invitation")


def wait_for(fn, want, what, timeout=30.0):
    end = time.monotonic() + timeout
    while True:
        got = fn()
        if got == want:
            return
        if time.monotonic() > end:
            raise SystemExit("restore: %s: %s, want %s" % (what, got, want))
        time.sleep(0.1)


def feed_of(st, service, producer):
    r = st.ctl("heerlen", "--json", "system", "health", service)
    h = json.loads(r.stdout)
    return [x for x in h.get("inbox", []) if x.get("producer") == producer][0]


def pilot_status(st):
    """KPI 6 by status through `mvoictl kpi pilots`: P-1 reports gestart; P-4 gestart, then
    (another report) afgerond: 2 distinct pilots of 3 reports, one gestart, one afgerond;
    venlo's P-1 (same ids) only lopend."""
    reps = [("heerlen", "PR-1", "P-1", "gestart"), ("heerlen", "PR-2", "P-4", "gestart"),
            ("heerlen", "PR-3", "P-4", "afgerond"), ("venlo", "PR-1", "P-1", "lopend")]
    for b, mid, tid, status in reps:
        retry(lambda: st.ctl(b, "measure", "add", "--id", mid, "--tender", tid, "--period",
                             "2027-07-01..2027-07-31", "--kind", "pilot", "--theme", "klimaat",
                             "--status", status, "--wait"), "pilot report %s/%s" % (b, mid))
    want = {"heerlen": {"pilots": 2, "gestart": 1, "lopend": 0, "afgerond": 1, "reports": 3},
            "venlo": {"pilots": 1, "gestart": 0, "lopend": 1, "afgerond": 0, "reports": 1}}
    for b, w in want.items():
        r = st.ctl(b, "--json", "kpi", "pilots", "--year", "2027")
        got = {k: int(v) for k, v in json.loads(r.stdout).items()} if r.returncode == 0 else r.stderr
        if not isinstance(got, dict) or any(got.get(k, 0) != v for k, v in w.items()):
            raise SystemExit("restore: kpi pilots of %s: %s, want %s" % (b, got, w))
    r = st.ctl("heerlen", "kpi", "pilots", "--year", "2027")
    print("restore: mvoictl kpi pilots --year 2027 (heerlen):\n" + r.stdout.rstrip())


def restore_calendar(st):
    """C. The calendar comes back from an older copy: its three consumers (the
    kpi-aggregator, the notifier, the impact-calculator) rebuild their view of it."""
    cdir = os.path.join(st.tmp, "calendar")
    pilot_tender(st, "P-1")
    end = time.monotonic() + 30
    while invitations(st, "heerlen", "P-1") < 1 and time.monotonic() < end:
        time.sleep(0.1)
    per = invitations(st, "heerlen", "P-1")   # one copy per recipient of such a tender
    if per < 1:
        raise SystemExit("restore: C: no kick-off invitation for P-1")
    for b in BUYERS:
        wait_for(lambda: pilots(st, b), 1, "pilots of %s before the backup" % b)
        wait_for(lambda: invitations(st, b, "P-1"), per, "kick-off invitations of P-1 (%s)" % b)
    st.kill9("calendar")
    copy_store(cdir, os.path.join(st.tmp, "bk-calendar"))
    st.start("calendar")
    for tid in ("P-2", "P-3"):
        pilot_tender(st, tid)
    for b in BUYERS:
        wait_for(lambda: pilots(st, b), 3, "pilots of %s after P-2, P-3" % b)
        wait_for(lambda: invitations(st, b, "P-3"), per, "kick-off invitations of P-3 (%s)" % b)
    st.kill9("calendar")
    shutil.rmtree(cdir)
    copy_store(os.path.join(st.tmp, "bk-calendar"), cdir)
    st.start("calendar")
    t0 = time.monotonic()
    for tid in ("P-4", "P-5"):   # their seqs are the ones P-2 and P-3 had
        pilot_tender(st, tid)
    for b in BUYERS:
        wait_for(lambda: pilots(st, b), 3, "pilots of %s after the restore (P-1, P-4, P-5)" % b)
        for tid in ("P-4", "P-5"):
            wait_for(lambda: invitations(st, b, tid), per,
                     "kick-off invitation of %s (%s) after the restore" % (tid, b))
        # the calculator's tender projection gets to know P-4. It follows the calendar on
        # its own feed, so right after the restart it may still be rebuilding while the
        # aggregator and the notifier are done: "not known to the calendar" ("staat niet in
        # de inkoopkalender": mvoictl speaks Dutch by default) is then the right answer, for a
        # while; any other refusal, or that one for 30 s, fails.
        end = time.monotonic() + 30
        while True:
            r = st.ctl(b, "measure", "add", "--id", "F-P4", "--tender", "P-4", "--period",
                       "2027-03-01..2027-03-31", "--kind", "fairtrade", "--category",
                       "koffie", "--products", "2", "--fair", "1")
            if r.returncode == 0:
                break
            if "staat niet in de inkoopkalender" not in r.stderr or time.monotonic() > end:
                raise SystemExit("restore: C: a measurement on P-4 (%s): %s" % (b, r.stderr))
            time.sleep(0.1)
    t1 = time.monotonic()
    pilot_status(st)
    out = {}
    for svc in ("kpi", "notifier", "impact"):
        f = feed_of(st, svc, "calendar")
        if f.get("rebuilds", 0) < 1 or f.get("rebuild_reason") != "went_back":
            raise SystemExit("restore: C: %s did not rebuild from the calendar: %s" % (svc, f))
        out[svc] = f["rebuilds"]
    print("restore: C. calendar restored from an older copy: kpi-aggregator, notifier and "
          "impact-calculator rebuilt (%s); pilots 2027 = 3 per buyer, kick-off invitations "
          "for P-4 and P-5, %.1f s after the restart" % (out, t1 - t0))


def gateway_fair(st):
    """(realisation of kpi.heerlen.fairtrade.2026, view seq) from the gateway's /api/kpi, or
    None while it answers 503."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/kpi?prefix=kpi.heerlen.fairtrade.2026"
                                    % st.http, timeout=5) as r:
            b = json.loads(r.read())
    except (urllib.error.URLError, OSError):
        return None
    ts = [t for t in b["totals"] if t["key"] == "kpi.heerlen.fairtrade.2026"]
    return (int(ts[0].get("realisation", 0)) if ts else 0, int(b["seq"]))


def restore_aggregator(st, held):
    """D. The kpi-aggregator itself comes back from an older copy: its own cursors are
    behind its producers (it replays forward), its outbox head went back in the same epoch
    (new incarnation): the gateway and a prefix `mvoictl kpi watch` follow to the exact
    figures."""
    kdir = os.path.join(st.tmp, "kpi-aggregator")
    st.kill9("kpi")
    copy_store(kdir, os.path.join(st.tmp, "bk-kpi"))
    st.start("kpi")
    for i in range(40, 44):
        for b, m in BUYERS.items():
            add(st, b, "F-%d" % i, (i + 1) * m, i * m)
        held["F-%d" % i] = (i + 1, i)
    wait_exact(st, held, "D: before the aggregator's restore")
    key = "kpi.heerlen.fairtrade.2026"
    wpath, epath = os.path.join(st.tmp, "watch.out"), os.path.join(st.tmp, "watch.err")
    with open(wpath, "wb") as wout, open(epath, "wb") as werr:
        watch = subprocess.Popen([os.path.join(BUILD, "services/mvoictl/mvoictl"), "kpi",
                                  "watch", key, "--seconds", "60"],
                                 env=st.ctl_env, stdout=wout, stderr=werr)
    st.procs["watch"] = watch   # stopped with the rest should this part fail

    def watch_lines():   # kpi watch flushes every line
        with open(wpath, errors="replace") as f:
            return [ln for ln in f.read().splitlines() if ln.startswith(key + " ")]

    def realisation(line):
        return int(dict(kv.split("=", 1) for kv in line.split()[1:]).get("realisation", -1))

    # it follows the aggregator before the kill: its snapshot is printed (was a fixed 1 s)
    wait_for(lambda: len(watch_lines()) > 0, True, "D: kpi watch printed its snapshot", 10.0)
    st.kill9("kpi")
    shutil.rmtree(kdir)
    copy_store(os.path.join(st.tmp, "bk-kpi"), kdir)
    t0 = time.monotonic()
    st.start("kpi")
    for i in range(44, 46):   # and new measurements while everyone catches up
        for b, m in BUYERS.items():
            add(st, b, "F-%d" % i, (i + 1) * m, i * m, wait=False)
        held["F-%d" % i] = (i + 1, i)
    t1 = wait_exact(st, held, "D: after the aggregator's restore")
    want = expected(held, BUYERS["heerlen"])[0]
    end = time.monotonic() + 15
    g = None
    while time.monotonic() < end:
        g = gateway_fair(st)
        if g and g[0] == want:
            break
        time.sleep(0.1)
    else:
        raise SystemExit("restore: D: the gateway shows %s, the aggregator %d" % (g, want))
    # kpi watch reaches the figure, then stays there: a line printed later (a re-snapshot
    # of the wrong incarnation, an old total again) would come with the next heartbeats
    # (200 ms), so it is watched for 2 s more before it is stopped (SIGINT).
    end = time.monotonic() + 20
    while time.monotonic() < end:
        lines = watch_lines()
        if lines and realisation(lines[-1]) == want:
            break
        time.sleep(0.1)
    time.sleep(2.0)
    watch.send_signal(signal.SIGINT)
    watch.wait(10)
    st.procs.pop("watch")
    lines = watch_lines()
    if not lines or realisation(lines[-1]) != want:
        with open(epath, errors="replace") as f:
            err = f.read()
        raise SystemExit("restore: D: kpi watch ended at %s, want realisation %d (stderr %s)"
                         % (lines[-1:], want, err[-300:]))
    print("restore: D. kpi-aggregator restored from an older copy: exact %d again %.1f s "
          "after its restart; the gateway (view seq %d) and kpi watch (%d lines) show %d" % (
              want, t1 - t0, g[1], len(lines), want))


def main():
    st = Stack()
    ok = False
    idir = os.path.join(st.tmp, "impact-calculator")
    try:
        for name in ("calendar", "impact", "kpi", "notifier", "gateway"):
            st.start(name)
        for b in BUYERS:
            retry(lambda: st.ctl(b, "tender", "add", "--id", "T-1", "--title", "Koffie",
                                 "--kind", "leveringen", "--publication", "2026-02-01"),
                  "tender add " + b)
        held = {}   # what the impact-calculator holds, per buyer (scaled by BUYERS)
        for i in range(1, 7):
            for b, m in BUYERS.items():
                add(st, b, "F-%d" % i, (i + 1) * m, i * m)
            held["F-%d" % i] = (i + 1, i)
        wait_exact(st, held, "phase 1")
        st.kill9("impact")
        copy_store(idir, os.path.join(st.tmp, "bk-impact"))
        backup = dict(held)
        st.start("impact")
        for i in range(7, 13):
            for b, m in BUYERS.items():
                add(st, b, "F-%d" % i, (i + 1) * m, i * m)
            held["F-%d" % i] = (i + 1, i)
        for b in BUYERS:
            retry(lambda: st.ctl(b, "measure", "withdraw", "--id", "F-2", "--reason", "dubbel"),
                  "withdraw F-2")
        del held["F-2"]
        wait_exact(st, held, "phase 2")
        before = kpi_feed(st, "impact")[1]
        print("restore: phases 1+2 counted: %s; the aggregator's cursor on impact is %s" %
              ({b: expected(held, m) for b, m in BUYERS.items()}, before.get("last_seq")))

        # A. the impact-calculator comes back from the older copy
        st.kill9("impact")
        shutil.rmtree(idir)
        copy_store(os.path.join(st.tmp, "bk-impact"), idir)
        st.start("impact")
        held = dict(backup)
        t0 = time.monotonic()
        for i in range(20, 24):
            for b, m in BUYERS.items():
                add(st, b, "F-%d" % i, (i + 1) * m, i * m, wait=False)
            held["F-%d" % i] = (i + 1, i)
        t1 = wait_exact(st, held, "after the restore")
        ready, feed = kpi_feed(st, "impact")
        if feed.get("rebuilds", 0) < 1 or feed.get("rebuild_reason") != "went_back":
            raise SystemExit("restore: no rebuild in the aggregator's health: %s" % feed)
        end = time.monotonic() + 10
        while not ready and time.monotonic() < end:
            time.sleep(0.2)
            ready, feed = kpi_feed(st, "impact")
        if not ready:
            raise SystemExit("restore: the aggregator is not ready after the rebuild: %s %s" % (
                feed, kpi_feed(st, "calendar")))
        log = st.log("kpi")
        if '"event":"feed_rebuild"' not in log or '"event":"feed_rebuilt"' not in log:
            raise SystemExit("restore: no feed_rebuild / feed_rebuilt log line")
        print("restore: A. producer restored from an older copy: rebuilt (%s, rebuilds=%d), "
              "exact %s %.1f s after the restart" % (
                  feed["rebuild_reason"], feed["rebuilds"],
                  {b: expected(held, m) for b, m in BUYERS.items()}, t1 - t0))

        print("restore: mvoictl system health kpi:\n" +
              st.ctl("heerlen", "system", "health", "kpi").stdout.rstrip())

        # B. the aggregator's cursor falls behind the producer's retention
        rebuilds = feed["rebuilds"]
        st.term("kpi")
        st.term("impact")
        st.start("impact", {"MVOI_IMPACT_CALCULATOR_RETAIN_EVENTS": "3",
                            "MVOI_IMPACT_CALCULATOR_RETENTION_MS": "100"})
        for i in range(30, 35):
            for b, m in BUYERS.items():
                add(st, b, "F-%d" % i, (i + 1) * m, i * m, wait=False)
            held["F-%d" % i] = (i + 1, i)
        end = time.monotonic() + 10
        while True:
            h = json.loads(st.ctl("heerlen", "--json", "system", "health", "impact").stdout)
            if h.get("outbox_backlog") == 3:
                break
            if time.monotonic() > end:
                raise SystemExit("restore: the impact-calculator did not trim: %s" % h)
            time.sleep(0.1)
        # Its rebuild holds one buyer at a time: a bound above each buyer's part of the
        # snapshot but below the whole (the national-size failure shape, small).
        per = snapshot_bytes(st)
        whole = sum(per.values())
        bound = max(per.values()) + (whole - max(per.values())) // 2
        if not (whole > bound > max(per.values())) or set(per) != set(BUYERS):
            raise SystemExit("restore: B: snapshot per buyer %s, no bound between" % per)
        t0 = time.monotonic()
        st.start("kpi", {"MVOI_KPI_AGGREGATOR_SNAPSHOT_MAX": str(bound)})
        t1 = wait_exact(st, held, "behind the retention")
        end = time.monotonic() + 10
        while True:
            ready, feed = kpi_feed(st, "impact")
            if ready and feed.get("rebuilds", 0) == 1 and \
                    feed.get("rebuild_reason") == "retention" and \
                    int(feed.get("rebuild_failures", 0)) == 0:
                break
            if time.monotonic() > end:
                raise SystemExit("restore: B: health %s (ready %s), want one rebuild for "
                                 "retention (the counter restarts with the process)" %
                                 (feed, ready))
            time.sleep(0.2)
        print("restore: B. cursor older than the retention (backlog 3): rebuilt (%s) buyer by "
              "buyer from a snapshot of %d bytes (per buyer %s) with snapshot_max %d, exact "
              "%s %.1f s after the start; rebuilds before the restart %d" % (
                  feed["rebuild_reason"], whole, per, bound,
                  {b: expected(held, m) for b, m in BUYERS.items()}, t1 - t0, rebuilds))
        restore_calendar(st)
        restore_aggregator(st, held)
        ok = True
    finally:
        st.stop()
        shutil.rmtree(GEN, ignore_errors=True)
        if ok:
            shutil.rmtree(st.tmp, ignore_errors=True)
        else:
            print_logs("restore", st.tmp)


if __name__ == "__main__":
    main()
