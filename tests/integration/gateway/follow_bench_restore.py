#!/usr/bin/env python3
"""The national benchmark's own figures after the kpi-aggregator came back from an older
copy of its store (same epoch, a new incarnation), real processes.

calendar, impact-calculator, kpi-aggregator and gateway run for real, with a buyer registry
(heerlen, landgraaf: gemeenten) so that /api/benchmark answers each buyer's own figures.
Both buyers register the same tender id and record fair-trade measurements with the same
ids. Sums computed here:

1. heerlen 1 + 2 = 3 fair-trade products, landgraaf 10; the aggregator is killed (-9) and
   its store copied (the backup).
2. heerlen +4 (GR-M-2) = 7: /api/kpi and the benchmark's own value say 7.
3. The aggregator is killed; while it is down heerlen withdraws GR-M-2 at the
   impact-calculator: heerlen holds 3 again.
4. The aggregator comes back from the backup: it replays GR-M-2 computed and withdrawn in
   one batch, so heerlen's 2026 total stays 3 under its seq of the backup, below the
   view's old head. /api/kpi says 3.
5. The benchmark must say 3 too. Before the fix a snapshot of the same epoch was not
   "full": the benchmark took only the totals whose seq was above the old head, none here,
   and kept heerlen's 7 of the lost history for as long as that total did not change.

    follow_bench_restore.py BUILD_DIR
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway_rebuild as gr  # noqa: E402  (Stack, get, fair, wait_for; BUILD from argv)
import gateway_resume as rs   # noqa: E402  (measure, kpi, wait_sums)
import gw_stack  # noqa: E402

REGISTRY = """[heerlen]
name = Gemeente Heerlen
kind = gemeente
inhabitants = 86000
inhabitants_year = 2024
inhabitants_source = test
[landgraaf]
name = Gemeente Landgraaf
kind = gemeente
inhabitants = 37000
inhabitants_year = 2024
inhabitants_source = test
"""


def fail(msg):
    raise SystemExit("follow_bench_restore: " + msg)


class Stack(gr.Stack):
    """gateway_rebuild's four services, every one with the buyer registry."""
    def __init__(self, tmp, ep, http, registry):
        self.tmp, self.procs = tmp, {}
        self.base = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_LOG_LEVEL="warn",
                         MVOI_BUYERS_FILE=registry)
        self.svc = gw_stack.services(ep, http)
        for name in self.svc:
            self.start(name)


def own_fair(http, buyer):
    """The buyer's own fair-trade figure (absolute) from /api/benchmark, None while 503."""
    st, body = gr.get(http, "/api/benchmark?buyer=%s&year=2026" % buyer)
    if st != 200:
        return None
    for k in body["kpis"]:
        if k["kpi"] == "fairtrade":
            for n in k["norms"]:
                if n and n.get("norm") == "absolute" and "value" in n:
                    return n["value"]
    return None


def scenario(stack, http, run):
    for b in ("heerlen", "landgraaf"):
        r = run("--buyer", b, "tender", "add", "--id", "GR-1", "--title", "Koffie",
                "--kind", "leveringen", "--publication", "2026-02-01", "--group", "FAC")
        if r.returncode != 0:
            fail("tender add %s: %s" % (b, r.stderr))
    rs.measure(run, "heerlen", "GR-M-0", 1)
    rs.measure(run, "heerlen", "GR-M-1", 2)
    rs.measure(run, "landgraaf", "GR-M-0", 10)
    rs.wait_sums(http, {"heerlen": 3, "landgraaf": 10})
    kdir = os.path.join(stack.tmp, "kpi-aggregator")
    stack.stop("kpi", sig_kill=True)
    shutil.copytree(kdir, os.path.join(stack.tmp, "bk-kpi"),
                    ignore=shutil.ignore_patterns("lock.mdb", "*.lock"))
    stack.start("kpi")
    rs.measure(run, "heerlen", "GR-M-2", 4)
    rs.wait_sums(http, {"heerlen": 7, "landgraaf": 10})
    gr.wait_for("the benchmark's 7 for heerlen", lambda: own_fair(http, "heerlen") == 7)

    stack.stop("kpi", sig_kill=True)
    r = run("--buyer", "heerlen", "measure", "withdraw", "--id", "GR-M-2", "--reason", "dubbel")
    if r.returncode != 0:
        fail("measure withdraw: %s" % r.stderr)
    shutil.rmtree(kdir)
    shutil.copytree(os.path.join(stack.tmp, "bk-kpi"), kdir)
    stack.start("kpi")
    rs.wait_sums(http, {"heerlen": 3, "landgraaf": 10}, timeout=60)
    end = time.monotonic() + 10
    got = None
    while time.monotonic() < end:
        got = own_fair(http, "heerlen")
        if got == 3:
            break
        time.sleep(0.1)
    else:
        body = rs.kpi(http, "heerlen")
        fail("/api/kpi says heerlen holds %s fair-trade products (seq %s), the benchmark %s "
             "(the 7 of the aggregator's lost history), want 3" % (
                 gr.fair(body, "heerlen") if body else None, body and body["seq"], got))
    return got


def main():
    def registry(tmp):
        path = os.path.join(tmp, "buyers.ini")
        with open(path, "w") as f:
            f.write(REGISTRY)
        return {"MVOI_BUYERS_FILE": path}

    got = gr.fleet("fbr", scenario, env=registry,
                   stack=lambda tmp, ep, http: Stack(tmp, ep, http,
                                                     os.path.join(tmp, "buyers.ini")))
    print("follow_bench_restore: after the aggregator's restore and a withdrawal while it "
          "was down, /api/kpi and the benchmark both say %s for heerlen" % got)


if __name__ == "__main__":
    main()
