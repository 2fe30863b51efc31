#!/usr/bin/env python3
"""Read your own writes with real processes: `mvoictl measure add --wait` then
`mvoictl kpi show` sees the measurement, N times in a row (default 1,000).

calendar, impact-calculator and kpi-aggregator run for real (nosync LMDB, loopback). Each
round adds a fair-trade measurement of k fair-trade products (k = 1..5 cycling) and reads
KPI 1's realisation for 2026: it must be the running sum, computed here.

    read_your_writes.py BUILD_DIR [N]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    tmp = tempfile.mkdtemp(prefix="mvoi-ryw-")
    ep = {k: "tcp://127.0.0.1:%d" % free_port() for k in
          ("capi", "cpub", "iapi", "ipub", "kapi", "kpub")}
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
            "MVOI_KPI_AGGREGATOR_IMPACT_PUB": ep["ipub"],
            "MVOI_KPI_AGGREGATOR_NOSYNC": "true"}),
    }
    procs = []
    ctl_env = dict(base, MVOI_CALENDAR_API=ep["capi"], MVOI_IMPACT_API=ep["iapi"],
                   MVOI_KPI_API=ep["kapi"], MVOI_KPI_PUB=ep["kpub"], MVOI_BUYER="heerlen")
    ctl = os.path.join(BUILD, "services/mvoictl/mvoictl")

    def run(*args):
        return subprocess.run([ctl] + list(args), env=ctl_env, capture_output=True, text=True)

    ok = False
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
            s = run("kpi", "show", "--year", "2026", "--json")
            got = [x for x in json.loads(s.stdout) if x["kpi"] == "fairtrade"][0]["realisation"]
            if got != want:
                raise SystemExit("ryw: round %d: kpi show says %d fair-trade products, "
                                 "%d were added" % (i, got, want))
        print("ryw: %d rounds of measure add --wait + kpi show, each saw its measurement "
              "(%d products), %.1f ms a round" % (N, want, (time.monotonic() - t0) * 1000 / N))
        ok = True
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("ryw: logs in %s" % tmp)


if __name__ == "__main__":
    main()
