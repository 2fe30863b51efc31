#!/usr/bin/env python3
"""The gateway holds KPI totals only for the buyers it serves, with real processes.

calendar, impact-calculator, kpi-aggregator and gateway run for real (nosync LMDB,
loopback). Two buyers, heerlen and landgraaf, register the same tender id and record
fair-trade measurements with the same ids (k products, all fair trade); the expected totals
are the sums computed here. Shown:

1. before any request no buyer is held (metrics);
2. one gateway process serves both at once, each its own sum and nothing of the other's,
   each loaded on its first request (a first request waits for the load, no 503);
3. a buyer not in the registry is refused by name (404, field buyer);
4. after MVOI_GATEWAY_BUYER_IDLE_MS without requests a buyer is dropped; an open SSE stream
   keeps its buyer held past that time, and its buyer goes once it closes;
5. reloaded on the next request exactly: the same totals as before the drop, byte for byte,
   and after more measurements recorded while dropped, the new sums;
6. a first request whose load takes longer than the idle time (the aggregator stopped for
   1.7 x IDLE_MS) waits and gets the sum: the waiting request keeps its buyer (it was
   dropped under the request: 503 "this buyer's totals are not held").

    gateway_buyers.py BUILD_DIR
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BUILD = sys.argv[1]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mvoi_logs import print_logs  # noqa: E402
from mvoi_ports import free_ports  # noqa: E402
import gw_stack  # noqa: E402
IDLE_MS = 1500
BUYERS = ("heerlen", "landgraaf")




def get(http, path):
    """(status, parsed JSON or text) of GET path."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (http, path), timeout=30) as r:
            body = r.read()
            ctype = r.headers.get("Content-Type", "")
            return r.status, json.loads(body) if "json" in ctype else body.decode()
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except urllib.error.URLError:
        return 0, None   # not listening yet


def metric(http, name):
    st, text = get(http, "/metrics")
    if st != 200:
        raise SystemExit("buyers: /metrics answered %d" % st)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise SystemExit("buyers: no metric %s" % name)


def fair_total(body, buyer):
    """The fair-trade realisation of 2026 for buyer; every total must be buyer's."""
    for t in body["totals"]:
        if t.get("buyer") != buyer:
            raise SystemExit("buyers: %s was served a total of %s: %s" % (buyer, t.get("buyer"),
                                                                         t["key"]))
    ts = [t for t in body["totals"] if t["key"] == "kpi.%s.fairtrade.2026" % buyer]
    return int(ts[0].get("realisation", 0)) if ts else 0


def wait_for(what, fn, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return
        time.sleep(0.05)
    raise SystemExit("buyers: timed out waiting for %s" % what)


def start(tmp, ep, http):
    base = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_LOG_LEVEL=os.environ.get("GWB_LOG", "warn"))
    svc = gw_stack.services(ep, http, {"MVOI_GATEWAY_BUYER_IDLE_MS": str(IDLE_MS)})
    procs = []
    for name, (rel, env) in svc.items():
        log = open(os.path.join(tmp, name + ".log"), "wb")
        procs.append(subprocess.Popen([os.path.join(BUILD, rel)], env=dict(base, **env),
                                      stdout=log, stderr=log))
    return procs


def record(run, buyer, mid, k):
    """One fair-trade measurement of k products for buyer, applied by the aggregator."""
    for _ in range(100):   # the calculator learns the tender from the calendar's stream
        r = run("--buyer", buyer, "measure", "add", "--id", mid, "--tender", "GB-1", "--period",
                "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category", "koffie",
                "--products", str(k), "--fair", str(k), "--wait")
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit("buyers: measure add %s %s: %s" % (buyer, mid, r.stderr))


def sse_open(http, buyer):
    s = socket.create_connection(("127.0.0.1", http), timeout=10)
    s.sendall(b"GET /api/stream?buyer=%s HTTP/1.1\r\nHost: x\r\n\r\n" % buyer.encode())
    got = b""
    while b"event: snapshot" not in got:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("buyers: the stream of %s ended before its snapshot" % buyer)
        got += chunk
    return s


def scenario(http, run):
    wait_for("the gateway", lambda: get(http, "/healthz")[0] == 200)
    if metric(http, "mvoi_gateway_buyers_held") != 0:
        raise SystemExit("buyers: a buyer is held before any request")
    want = {}
    for b in BUYERS:
        r = run("--buyer", b, "tender", "add", "--id", "GB-1", "--title", "Koffie",
                "--kind", "leveringen", "--publication", "2026-02-01", "--group", "FAC")
        if r.returncode != 0:
            raise SystemExit("buyers: tender add %s: %s" % (b, r.stderr))
    # the same measurement ids for both buyers; heerlen 1+2+3, landgraaf 10+20
    for b, ks in (("heerlen", (1, 2, 3)), ("landgraaf", (10, 20))):
        for i, k in enumerate(ks):
            record(run, b, "GB-M-%d" % i, k)
        want[b] = sum(ks)
    served = {}
    for b in BUYERS:   # interleaved: one process, both buyers
        st, body = get(http, "/api/kpi?buyer=%s" % b)
        if st != 200 or fair_total(body, b) != want[b]:
            raise SystemExit("buyers: %s: %d %s, want %d" % (b, st, body if st != 200 else
                                                            fair_total(body, b), want[b]))
        served[b] = body["totals"]
    if metric(http, "mvoi_gateway_buyers_held") != 2 or \
            metric(http, "mvoi_gateway_buyer_loads_total") != 2:
        raise SystemExit("buyers: after two buyers' requests, held/loads are not 2/2")
    held = metric(http, "mvoi_gateway_buyer_totals")
    if held != len(served["heerlen"]) + len(served["landgraaf"]):
        raise SystemExit("buyers: %g totals held for %d + %d served: a view holds another "
                         "buyer's totals" % (held, len(served["heerlen"]), len(served["landgraaf"])))
    st, body = get(http, "/api/kpi?buyer=atlantis")
    if st != 404 or body.get("field") != "buyer":
        raise SystemExit("buyers: a buyer outside the registry answered %d %s" % (st, body))
    # idle: a stream keeps landgraaf, heerlen goes
    stream = sse_open(http, "landgraaf")
    wait_for("heerlen dropped", lambda: metric(http, "mvoi_gateway_buyer_drops_total") == 1)
    time.sleep(IDLE_MS * 1.5 / 1000)
    if metric(http, "mvoi_gateway_buyers_held") != 1:
        raise SystemExit("buyers: the streamed buyer was dropped while its stream was open")
    stream.close()   # noticed at the stream's next comment line (SSE_HEARTBEAT_MS)
    wait_for("landgraaf dropped", lambda: metric(http, "mvoi_gateway_buyers_held") == 0)
    # reloaded exactly
    for b in BUYERS:
        st, body = get(http, "/api/kpi?buyer=%s" % b)
        if st != 200 or body["totals"] != served[b]:
            raise SystemExit("buyers: %s reloaded differently (%d)" % (b, st))
    wait_for("both dropped again", lambda: metric(http, "mvoi_gateway_buyers_held") == 0)
    record(run, "landgraaf", "GB-M-9", 7)   # while no buyer is held
    record(run, "heerlen", "GB-M-9", 4)
    want["landgraaf"] += 7
    want["heerlen"] += 4
    for b in BUYERS:
        st, body = get(http, "/api/kpi?buyer=%s" % b)
        if st != 200 or fair_total(body, b) != want[b]:
            raise SystemExit("buyers: %s after reload: %d, want %d" % (
                b, fair_total(body, b) if st == 200 else st, want[b]))
    if metric(http, "mvoi_gateway_buyer_loads_total") != 6:
        raise SystemExit("buyers: loads %g, want 6" % metric(http, "mvoi_gateway_buyer_loads_total"))
    return want


def slow_load(http, kpi, want):
    """6: heerlen's load outlasts the idle time; its first request waits for it."""
    wait_for("both dropped", lambda: metric(http, "mvoi_gateway_buyers_held") == 0)
    got = {}

    def first():
        got["r"] = get(http, "/api/kpi?buyer=heerlen")
    kpi.send_signal(signal.SIGSTOP)
    try:
        t = threading.Thread(target=first)
        t.start()
        time.sleep(IDLE_MS * 1.7 / 1000)
    finally:
        kpi.send_signal(signal.SIGCONT)
    t.join()
    st, body = got["r"]
    if st != 200 or fair_total(body, "heerlen") != want["heerlen"]:
        raise SystemExit("buyers: a first request waiting %d ms for its load: %d %s, want %d"
                         % (IDLE_MS * 1.7, st, body if st != 200 else
                            fair_total(body, "heerlen"), want["heerlen"]))


def main():
    tmp = tempfile.mkdtemp(prefix="mvoi-gwb-")
    ports = free_ports(("capi", "cpub", "iapi", "ipub", "kapi", "kpub", "http"))
    ep = {k: "tcp://127.0.0.1:%d" % p for k, p in ports.items() if k != "http"}
    http = ports["http"]
    ctl_env = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_CALENDAR_API=ep["capi"],
                   MVOI_IMPACT_API=ep["iapi"], MVOI_KPI_API=ep["kapi"], MVOI_KPI_PUB=ep["kpub"])
    ctl = os.path.join(BUILD, "services/mvoictl/mvoictl")

    def run(*args):
        return subprocess.run([ctl] + list(args), env=ctl_env, capture_output=True, text=True)

    procs = start(tmp, ep, http)
    ok = False
    try:
        want = scenario(http, run)
        slow_load(http, procs[list(gw_stack.services(ep, http)).index("kpi")], want)
        ok = True
        print("buyers: heerlen %d and landgraaf %d fair-trade products from one gateway, each "
              "loaded on demand (also when slower than the idle time), dropped when idle (a "
              "stream held one), reloaded exactly" % (want["heerlen"], want["landgraaf"]))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print_logs("buyers", tmp)


if __name__ == "__main__":
    main()
