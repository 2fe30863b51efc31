#!/usr/bin/env python3
"""Read your own writes with real processes: `mvoictl measure add --wait` then
`mvoictl kpi show` sees the measurement, N times in a row (default 1,000).

calendar, impact-calculator and kpi-aggregator run for real (nosync LMDB, loopback). Each
round adds a fair-trade measurement of k fair-trade products (k = 1..5 cycling) and reads
KPI 1's realisation for 2026: it must be the running sum, computed here. It is read at once
over a DEALER kept open (a KpiQuery sent the moment `measure add` exits, where a missing wait
shows) every round, and with `mvoictl kpi show --json` every tenth round and the last. On
this machine the aggregator is usually faster than a process exit, so a last round makes
the wait visible: with the aggregator stopped (SIGSTOP), `measure add --wait` must not
return before it runs again (SIGCONT), and then its total includes the measurement.

The same over HTTP (the gateway, GET /api/kpi?after_seq=N): GW rounds of `mvoictl --json
measure add` (no wait) then one GET with the reply's seq, whose KPI 1 total must be the
running sum; with the aggregator stopped a short wait_ms answers 504 "upstream-timeout" (it
said nothing, so not "not-applied-yet"),
and after SIGCONT the same GET answers 200 with the sum; a bad after_seq is a 400.

Last, a connection lost in the middle of the handshake (a TCP proxy that resets the first
connection) is not named a refused key: `kpi show` through it answers; a proxy that resets
every connection is named a refusal (exit 77) within 5 s.

    read_your_writes.py BUILD_DIR [N]
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import zmq

BUILD = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "examples"))
import dashboard_client  # noqa: E402  (its proto loader)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
from mvoi_logs import print_logs  # noqa: E402
from mvoi_ports import free_ports  # noqa: E402


def query(pb, dealer, n):
    env = pb.Envelope(request_id="ryw-q-%d" % n, schema_version=1, buyer="heerlen")
    env.kpi_query.key = "kpi.heerlen.fairtrade.2026"
    dealer.send(env.SerializeToString())
    if not dealer.poll(5000):
        raise SystemExit("ryw: no answer to a KpiQuery")
    e = pb.Envelope()
    e.ParseFromString(dealer.recv_multipart()[-1])
    return e.kpi_total.realisation if e.WhichOneof("body") == "kpi_total" else -1


GW = int(os.environ.get("RYW_GW_ROUNDS", "100"))
# `kpi show` runs after the KpiQuery has already seen the round's total, so it cannot catch
# a missing wait; it proves that the command prints the aggregator's figure, which every
# tenth round (and the last) shows as well as every round did, at half the processes.
SHOW_EVERY = 10


TOKEN = "ryw-submitter-token"   # the gateway's tokens file has its hash (main)


def get_kpi(http, query):
    """(status, body) of GET /api/kpi?query."""
    req = urllib.request.Request("http://127.0.0.1:%d/api/kpi?%s" % (http, query),
                                 headers={"Authorization": "Bearer " + TOKEN})
    try:
        with urllib.request.urlopen(req, timeout=40) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def fair(body):
    ts = [t for t in body["totals"] if t["key"] == "kpi.heerlen.fairtrade.2026"]
    return int(ts[0].get("realisation", 0)) if ts else 0


def post_measurement(http, mid, k):
    """(status, body) of POST /api/measurements with one fair-trade measurement of k."""
    body = json.dumps({"measurements": [{
        "id": mid, "tender_id": "RYW-1", "phase": "PHASE_REALISATION",
        "period_start": "2026-03-01", "period_end": "2026-03-31",
        "fairtrade": {"category": "koffie", "products_total": k, "products_fair": k}}]}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/measurements" % http, data=body,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + TOKEN}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=40) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def incarnation_round(http, want):
    """POST /api/measurements answers the impact-calculator's incarnation (a string); the
    barrier with it passes, with another start's it does not (504), a bad one is a 400."""
    st, b = post_measurement(http, "RYW-INC-1", 5)
    if st != 201 or not str(b.get("incarnation", "")).isdigit():
        raise SystemExit("ryw: POST /api/measurements answered %d %s (no incarnation)" % (st, b))
    seq, inc = int(b["seq"]), int(b["incarnation"])
    want += 5
    st, b = get_kpi(http, "after_seq=%d&after_incarnation=%d&prefix=kpi.heerlen.fairtrade.2026"
                    % (seq, inc))
    if st != 200 or fair(b) != want:
        raise SystemExit("ryw: after_seq=%d&after_incarnation=%d answered %d %s, want %d"
                         % (seq, inc, st, fair(b) if st == 200 else b, want))
    other = inc + 1 if inc < 2 ** 64 - 1 else inc - 1
    st, b = get_kpi(http, "after_seq=%d&after_incarnation=%d&wait_ms=300" % (seq, other))
    if st != 504 or not b.get("type", "").endswith("not-applied-yet"):
        raise SystemExit("ryw: another start's incarnation answered %d %s" % (st, b))
    for bad in ("abc", "0", "-1", "18446744073709551616"):
        st, b = get_kpi(http, "after_seq=%d&after_incarnation=%s" % (seq, bad))
        if st != 400 or b.get("field") != "after_incarnation":
            raise SystemExit("ryw: after_incarnation=%s answered %d %s" % (bad, st, b))
    return want


def http_rounds(run, http, kpi, want):
    """Read your own writes over HTTP: GET /api/kpi?after_seq= after measure add."""
    for _ in range(100):   # the gateway is up and has its first snapshot
        st, _b = get_kpi(http, "prefix=kpi.heerlen.fairtrade.2026")
        if st == 200:
            break
        time.sleep(0.1)
    st, b = get_kpi(http, "after_seq=abc")
    if st != 400 or b.get("field") != "after_seq":
        raise SystemExit("ryw: after_seq=abc answered %d %s" % (st, b))
    t0 = time.monotonic()
    for i in range(1, GW + 1):
        k = 1 + i % 3
        r = run("--json", "measure", "add", "--id", "RYW-GW-%d" % i, "--tender", "RYW-1",
                "--period", "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category",
                "koffie", "--products", str(k), "--fair", str(k))
        if r.returncode != 0:
            raise SystemExit("ryw: gw round %d: measure add: %s" % (i, r.stderr))
        seq = int(json.loads(r.stdout)["seq"])
        want += k
        st, b = get_kpi(http, "after_seq=%d&prefix=kpi.heerlen.fairtrade.2026" % seq)
        if st != 200 or fair(b) != want:
            raise SystemExit("ryw: gw round %d: GET /api/kpi?after_seq=%d answered %d with %s "
                             "fair-trade products, %d were added" % (i, seq, st,
                                                                     fair(b) if st == 200 else b, want))
    ms = (time.monotonic() - t0) * 1000 / max(GW, 1)
    want = incarnation_round(http, want)
    kpi.send_signal(signal.SIGSTOP)
    try:
        r = run("--json", "measure", "add", "--id", "RYW-GW-STOP", "--tender", "RYW-1",
                "--period", "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category",
                "koffie", "--products", "9", "--fair", "9")
        seq = int(json.loads(r.stdout)["seq"])
        st, b = get_kpi(http, "after_seq=%d&wait_ms=300" % seq)
        if st != 504 or not b.get("type", "").endswith("upstream-timeout"):
            raise SystemExit("ryw: with the aggregator stopped, after_seq answered %d %s" % (st, b))
    finally:
        kpi.send_signal(signal.SIGCONT)
    want += 9
    st, b = get_kpi(http, "after_seq=%d&wait_ms=20000" % seq)
    if st != 200 or fair(b) != want:
        raise SystemExit("ryw: after SIGCONT: %d %s, want %d" % (st, fair(b) if st == 200 else b,
                                                                  want))
    print("ryw: %d rounds of measure add + GET /api/kpi?after_seq=, each saw its measurement "
          "(%d products), %.1f ms a round; 504 upstream-timeout while the aggregator was "
          "stopped, 200 after" % (GW, want, ms))
    return want


def reset_proxy(target_port, resets):
    """A TCP proxy on a free port: its first `resets` connections are reset after the
    client's first bytes (a service killed in the middle of the handshake), the others are
    forwarded to target_port. Returns (listening socket, port)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    seen = [0]

    def pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            seen[0] += 1
            if seen[0] <= resets:
                c.recv(64)   # the greeting's first bytes
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
                continue
            u = socket.create_connection(("127.0.0.1", target_port))
            threading.Thread(target=pump, args=(c, u), daemon=True).start()
            threading.Thread(target=pump, args=(u, c), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def handshake_lost(ctl, ctl_env, kapi_port, want):
    """A connection lost during the handshake is not a refused key: `kpi show` through a
    proxy that resets its first connection answers (it said "weigert de verbinding ... de
    sleutel" and exited 77, and `kpi watch` stopped following); one that resets every
    connection is still named a refusal, within a second."""
    srv, port = reset_proxy(kapi_port, 1)
    env = dict(ctl_env, MVOI_KPI_API="tcp://127.0.0.1:%d" % port)
    r = subprocess.run([ctl, "kpi", "show", "--year", "2026", "--json"], env=env,
                       capture_output=True, text=True)
    srv.close()
    if r.returncode != 0:
        raise SystemExit("ryw: kpi show after a handshake lost once: %d %s" %
                         (r.returncode, r.stderr))
    got = [x for x in json.loads(r.stdout) if x["kpi"] == "fairtrade"][0]["realisation"]
    if got != want:
        raise SystemExit("ryw: kpi show after a handshake lost once: %d, want %d" % (got, want))
    srv, port = reset_proxy(kapi_port, 1 << 30)
    env = dict(ctl_env, MVOI_KPI_API="tcp://127.0.0.1:%d" % port)
    t0 = time.monotonic()
    r = subprocess.run([ctl, "--timeout", "10000", "kpi", "show", "--year", "2026"], env=env,
                       capture_output=True, text=True)
    took = time.monotonic() - t0
    srv.close()
    if r.returncode != 77 or "weigert de verbinding" not in r.stderr or took > 5:
        raise SystemExit("ryw: every handshake lost: want exit 77 naming the refusal within "
                         "5 s, got %d after %.1f s: %s" % (r.returncode, took, r.stderr))
    print("ryw: a handshake lost once: kpi show answered %d; lost every time: named a refusal "
          "(exit 77) after %.2f s" % (got, took))


def main():
    tmp = tempfile.mkdtemp(prefix="mvoi-ryw-")
    ports = free_ports(("capi", "cpub", "iapi", "ipub", "kapi", "kpub", "http"))
    ep = {k: "tcp://127.0.0.1:%d" % p for k, p in ports.items() if k != "http"}
    http = ports["http"]
    base = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_LOG_LEVEL="warn")
    svc = {
        "calendar": ("services/calendar/mvoi-calendar", {
            "MVOI_CALENDAR_API": ep["capi"], "MVOI_CALENDAR_PUB": ep["cpub"],
            "MVOI_CALENDAR_NOSYNC": "true"}),
        "impact": ("services/impact-calculator/mvoi-impact-calculator", {
            "MVOI_IMPACT_CALCULATOR_API": ep["iapi"], "MVOI_IMPACT_CALCULATOR_PUB": ep["ipub"],
            "MVOI_IMPACT_CALCULATOR_CALENDAR_API": ep["capi"],
            "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB": ep["cpub"],
            "MVOI_IMPACT_CALCULATOR_NOSYNC": "true"}),
        "kpi": ("services/kpi-aggregator/mvoi-kpi-aggregator", {
            "MVOI_KPI_AGGREGATOR_API": ep["kapi"], "MVOI_KPI_AGGREGATOR_PUB": ep["kpub"],
            "MVOI_KPI_AGGREGATOR_CALENDAR_API": ep["capi"],
            "MVOI_KPI_AGGREGATOR_CALENDAR_PUB": ep["cpub"],
            "MVOI_KPI_AGGREGATOR_IMPACT_API": ep["iapi"],
            "MVOI_KPI_AGGREGATOR_IMPACT_PUB": ep["ipub"]}),   # durable: it applies later
        "gateway": ("services/gateway/mvoi-gateway", {
            "MVOI_GATEWAY_LISTEN": "127.0.0.1:%d" % http, "MVOI_GATEWAY_BUYER": "heerlen",
            "MVOI_GATEWAY_KPI_API": ep["kapi"], "MVOI_GATEWAY_KPI_PUB": ep["kpub"],
            "MVOI_GATEWAY_CALENDAR_API": ep["capi"], "MVOI_GATEWAY_IMPACT_API": ep["iapi"],
            "MVOI_GATEWAY_TOKENS_FILE": os.path.join(tmp, "tokens")}),
    }
    fd = os.open(os.path.join(tmp, "tokens"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, ("submitter %s ryw buyers=heerlen\n"
                  % hashlib.sha256(TOKEN.encode()).hexdigest()).encode())
    os.close(fd)
    procs = []
    ctl_env = dict(base, MVOI_CALENDAR_API=ep["capi"], MVOI_IMPACT_API=ep["iapi"],
                   MVOI_KPI_API=ep["kapi"], MVOI_KPI_PUB=ep["kpub"], MVOI_BUYER="heerlen")
    ctl = os.path.join(BUILD, "services/mvoictl/mvoictl")

    def run(*args):
        return subprocess.run([ctl] + list(args), env=ctl_env, capture_output=True, text=True)

    ok = False
    pb, gen = dashboard_client.load_messages(os.path.join(SOURCE, "proto"))
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(ep["kapi"])
    try:
        for name, (rel, env) in svc.items():
            log = open(os.path.join(tmp, name + ".log"), "wb")
            procs.append(subprocess.Popen([os.path.join(BUILD, rel)], env=dict(base, **env),
                                          stdout=log, stderr=log))
        for _ in range(100):
            r = run("tender", "add", "--id", "RYW-1", "--title", "Koffie en thee",
                    "--kind", "leveringen", "--publication", "2026-02-01", "--group", "FAC")
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("ryw: tender add failed: %s" % r.stderr)
        for _ in range(100):   # the calculator learns the tender from the calendar's stream
            r = run("measure", "add", "--id", "RYW-0", "--tender", "RYW-1", "--period",
                    "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category", "koffie",
                    "--products", "1", "--fair", "1", "--wait")
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("ryw: first measure add failed: %s" % r.stderr)
        want = 1
        t0 = time.monotonic()
        for i in range(1, N + 1):
            k = 1 + i % 5
            r = run("measure", "add", "--id", "RYW-%d" % i, "--tender", "RYW-1", "--period",
                    "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category", "koffie",
                    "--products", str(k), "--fair", str(k), "--wait")
            if r.returncode != 0:
                raise SystemExit("ryw: round %d: measure add --wait: %d %s" %
                                 (i, r.returncode, r.stderr))
            want += k
            now = query(pb, dealer, i)
            if now != want:
                raise SystemExit("ryw: round %d: the aggregator answers %d fair-trade products "
                                 "right after measure add --wait, %d were added" % (i, now, want))
            if i % SHOW_EVERY and i != N:
                continue
            s = run("kpi", "show", "--year", "2026", "--json")
            got = [x for x in json.loads(s.stdout) if x["kpi"] == "fairtrade"][0]["realisation"]
            if got != want:
                raise SystemExit("ryw: round %d: kpi show says %d fair-trade products, "
                                 "%d were added" % (i, got, want))
        # the aggregator stopped: --wait returns only after it applied the measurement
        kpi = procs[2]
        kpi.send_signal(signal.SIGSTOP)
        add = subprocess.Popen([ctl, "--timeout", "20000", "measure", "add", "--id", "RYW-STOP", "--tender", "RYW-1",
                                "--period", "2026-03-01..2026-03-31", "--kind", "fairtrade",
                                "--category", "koffie", "--products", "7", "--fair", "7",
                                "--wait"], env=ctl_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        early = add.poll()
        kpi.send_signal(signal.SIGCONT)
        if early is not None:
            raise SystemExit("ryw: measure add --wait returned (%d) while the aggregator was "
                             "stopped" % early)
        if add.wait(30) != 0:
            raise SystemExit("ryw: measure add --wait after SIGCONT: %s" % add.stderr.read())
        want += 7
        now = query(pb, dealer, N + 1)
        if now != want:
            raise SystemExit("ryw: after the stopped round: %d products, want %d" % (now, want))
        print("ryw: %d rounds of measure add --wait, each saw its measurement at once (kpi "
              "show too, every %dth round) (%d products), %.1f ms a round" %
              (N, SHOW_EVERY, want, (time.monotonic() - t0) * 1000 / N))
        want = http_rounds(run, http, kpi, want)
        handshake_lost(ctl, ctl_env, ports["kapi"], want)
        ok = True
    finally:
        dealer.close()
        shutil.rmtree(gen, ignore_errors=True)
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print_logs("ryw", tmp)


if __name__ == "__main__":
    main()
