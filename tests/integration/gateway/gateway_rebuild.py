#!/usr/bin/env python3
"""The dashboard's figures when the kpi-aggregator's store is wiped (kill -9, new epoch).

calendar, impact-calculator, kpi-aggregator and gateway run for real. Two buyers, heerlen
and landgraaf, register the same tender id and record fair-trade measurements with the same
ids: heerlen 1+2+3 = 6 products, landgraaf 10+20 = 30 (sums computed here). A stream of
heerlen is open. Then the impact-calculator stops, the aggregator is killed (-9), its data
directory removed and it starts again: a new epoch with no totals, its producer gone, so
its own HealthReply says it has counted nothing of impact. Shown:

1. the gateway never serves that empty view as current: /api/kpi is 503 stale with the
   aggregator's reason for both buyers, for as long as the impact-calculator is away;
2. the open stream says {"fresh":false} and gets no snapshot or update meanwhile (a
   snapshot of the new epoch at head 0 would show nothing counted as the live figures);
3. the benchmark (every buyer's year totals) and /readyz are 503 as well;
4. once the impact-calculator is back and the aggregator has rebuilt, both buyers read 6
   and 30 again, and the open stream gets a snapshot with heerlen's 6, then fresh:true.

    gateway_rebuild.py BUILD_DIR
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BUILD = sys.argv[1]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mvoi_logs import print_logs  # noqa: E402
from mvoi_ports import free_ports  # noqa: E402
import gw_stack  # noqa: E402
BUYERS = {"heerlen": (1, 2, 3), "landgraaf": (10, 20)}


def fail(msg):
    raise SystemExit("rebuild: " + msg)


def get(http, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (http, path), timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except (urllib.error.URLError, ConnectionError):
        return 0, None


def fair(body, buyer):
    ts = [t for t in body["totals"] if t["key"] == "kpi.%s.fairtrade.2026" % buyer]
    return int(ts[0].get("realisation", 0)) if ts else 0


def wait_for(what, fn, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return
        time.sleep(0.05)
    fail("timed out waiting for " + what)


class Stack:
    def __init__(self, tmp, ep, http):
        self.tmp, self.procs = tmp, {}
        base = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_LOG_LEVEL="warn")
        self.svc = gw_stack.services(ep, http)
        self.base = base
        for name in self.svc:
            self.start(name)

    def start(self, name):
        rel, env = self.svc[name]
        log = open(os.path.join(self.tmp, name + ".log"), "ab")
        self.procs[name] = subprocess.Popen([os.path.join(BUILD, rel)],
                                            env=dict(self.base, **env), stdout=log, stderr=log)

    def stop(self, name, sig_kill=False):
        p = self.procs.pop(name)
        p.kill() if sig_kill else p.terminate()
        p.wait(timeout=10)

    def close(self):
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def fleet(name, scenario, stack=None, env=None):
    """scenario(stack, http, run) on a fresh calendar, impact-calculator, kpi-aggregator and
    gateway in a temp dir, once the gateway answers; run(*args) is mvoictl on the fleet's
    endpoints. stack(tmp, ep, http) makes the Stack (default Stack); env(tmp) gives more of
    mvoictl's environment (files it writes in tmp first). Returns what scenario returns.
    The dir goes on success; on failure the tail of every service's log is printed, since
    CI keeps the test's output, not its temp dir."""
    tmp = tempfile.mkdtemp(prefix="mvoi-%s-" % name)
    ports = free_ports(("capi", "cpub", "iapi", "ipub", "kapi", "kpub", "http"))
    ep = {k: "tcp://127.0.0.1:%d" % p for k, p in ports.items() if k != "http"}
    http = ports["http"]
    ctl_env = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_CALENDAR_API=ep["capi"],
                   MVOI_IMPACT_API=ep["iapi"], MVOI_KPI_API=ep["kapi"], MVOI_KPI_PUB=ep["kpub"],
                   **(env(tmp) if env else {}))
    ctl = os.path.join(BUILD, "services/mvoictl/mvoictl")

    def run(*args):
        return subprocess.run([ctl] + list(args), env=ctl_env, capture_output=True, text=True)

    st = (stack or Stack)(tmp, ep, http)
    ok = False
    try:
        wait_for("the gateway", lambda: get(http, "/healthz")[0] == 200)
        result = scenario(st, http, run)
        ok = True
        return result
    finally:
        st.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print_logs(name, tmp)


class Stream:
    """An SSE stream of one buyer over a raw socket, read without blocking: its events as
    (id, event, data); last_id: a Last-Event-ID to resume from (gateway_resume.py)."""
    def __init__(self, http, buyer, last_id=None):
        self.s = socket.create_connection(("127.0.0.1", http), timeout=10)
        lei = b"Last-Event-ID: %s\r\n" % last_id.encode() if last_id else b""
        self.s.sendall(b"GET /api/stream?buyer=%s HTTP/1.1\r\nHost: x\r\n%s\r\n"
                       % (buyer.encode(), lei))
        self.buf = b""
        self.last_id = None

    def events(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                chunk = self.s.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                fail("the stream ended")
            self.buf += chunk
        out = []
        while b"\n\n" in self.buf:
            block, self.buf = self.buf.split(b"\n\n", 1)
            eid = ev = data = None
            for line in block.decode(errors="replace").split("\n"):
                if line.startswith("id: "):
                    eid = line[4:]
                elif line.startswith("event: "):
                    ev = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
            if eid:
                self.last_id = eid
            if ev:
                out.append((eid, ev, data))
        return out

    def close(self):
        self.s.close()


def scenario(stack, http, run):
    wait_for("the gateway", lambda: get(http, "/healthz")[0] == 200)
    for b, ks in BUYERS.items():
        r = run("--buyer", b, "tender", "add", "--id", "GR-1", "--title", "Koffie",
                "--kind", "leveringen", "--publication", "2026-02-01", "--group", "FAC")
        if r.returncode != 0:
            fail("tender add %s: %s" % (b, r.stderr))
    for b, ks in BUYERS.items():
        for i, k in enumerate(ks):
            for _ in range(100):   # the calculator learns the tender from the calendar
                r = run("--buyer", b, "measure", "add", "--id", "GR-M-%d" % i, "--tender", "GR-1",
                        "--period", "2026-03-01..2026-03-31", "--kind", "fairtrade",
                        "--category", "koffie", "--products", str(k), "--fair", str(k), "--wait")
                if r.returncode == 0:
                    break
                time.sleep(0.1)
            else:
                fail("measure add %s: %s" % (b, r.stderr))
    want = {b: sum(ks) for b, ks in BUYERS.items()}

    def exact():
        for b in BUYERS:
            st, body = get(http, "/api/kpi?buyer=" + b)
            if st != 200 or fair(body, b) != want[b]:
                return False
        return True
    wait_for("both buyers' sums", exact)
    stream = Stream(http, "heerlen")
    first = stream.events(1.5)
    snaps = [d for _, e, d in first if e == "snapshot"]
    if not snaps or fair(snaps[-1], "heerlen") != want["heerlen"]:
        fail("the stream did not begin with heerlen's %d: %s" % (want["heerlen"], first))

    stack.stop("impact")
    stack.stop("kpi", sig_kill=True)
    shutil.rmtree(os.path.join(stack.tmp, "kpi-aggregator"))
    stack.start("kpi")
    # 1 + 2: for 6 s (30 heartbeats of the new, empty aggregator) nothing is current
    end = time.monotonic() + 6
    seen = []
    while time.monotonic() < end:
        for b in BUYERS:
            st, body = get(http, "/api/kpi?buyer=" + b)
            # the old view, until the gateway notices, is still right; nothing else is
            if st == 200 and fair(body, b) != want[b]:
                fail("%s served %d fair-trade products as current from the wiped aggregator "
                     "(want 503 until it has rebuilt %d)" % (b, fair(body, b), want[b]))
            if st == 503 and "kpi-aggregator" in (body.get("detail") or ""):
                seen.append(body["detail"])
        for _, e, d in stream.events(0.2):
            if e == "snapshot" and fair(d, "heerlen") != want["heerlen"]:
                fail("the stream sent a snapshot of %d products (%d totals) while the "
                     "aggregator had counted nothing" % (fair(d, "heerlen"), d["count"]))
            if e == "kpi" and d.get("key") == "kpi.heerlen.fairtrade.2026" and \
                    int(d.get("realisation", 0)) != want["heerlen"]:
                fail("the stream sent an update of %s while the aggregator had counted "
                     "nothing" % d.get("realisation"))
    if not seen:
        fail("no 503 named the kpi-aggregator's state")
    # in the gateway's language (Dutch), not the log's English
    if not any("heeft nog niets geteld uit impact" in d for d in seen):
        fail("no 503 said in Dutch that the aggregator counted nothing: %s" % seen[:3])
    for b in BUYERS:   # still, at the end of the window: not a passing moment
        st, body = get(http, "/api/kpi?buyer=" + b)
        if st != 503:
            fail("%s: %d after 6 s of an aggregator that counted nothing: %s" % (b, st, body))
    # the benchmark's feed of every buyer (and /readyz, which is its) says so too
    for path in ("/api/benchmark?year=2026", "/readyz"):
        st, body = get(http, path)
        if st != 503:
            fail("%s: %d from an aggregator that counted nothing: %s" % (path, st, body))
    # 3: back, rebuilt, the same sums
    stack.start("impact")
    wait_for("the rebuilt sums", exact, timeout=60)
    wait_for("/readyz", lambda: get(http, "/readyz")[0] == 200)
    got = stream.events(3)
    snaps = [d for _, e, d in got if e == "snapshot"]
    if not snaps or fair(snaps[-1], "heerlen") != want["heerlen"]:
        fail("the stream was not re-snapshotted with heerlen's %d: %s" % (want["heerlen"], got))
    statuses = [d for _, e, d in got if e == "status"]
    if not statuses or statuses[-1] != {"fresh": True}:
        fail("the stream did not end fresh: %s" % statuses)
    print("rebuild: wiped aggregator: 503 '%s' while it had counted nothing, the stream "
          "waited; rebuilt: heerlen %d, landgraaf %d, the stream re-snapshotted" % (
              seen[0], want["heerlen"], want["landgraaf"]))


def main():
    fleet("gwr", scenario)


if __name__ == "__main__":
    main()
