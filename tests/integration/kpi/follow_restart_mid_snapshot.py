#!/usr/bin/env python3
"""A producer that dies while its consumer waits for the snapshot it asked for, real
processes (docs/design.md#rebuild).

calendar, impact-calculator and kpi-aggregator run for real; heerlen and venlo use the same
tender and measurement ids (venlo's figures 3x heerlen's). The aggregator's snapshot bound
(snapshot_max, 4,096 bytes) holds a buyer of a few measurements, not one of thirty.

1. F-1, F-2 per buyer; the impact-calculator is killed and copied (A0: both buyers small).
2. venlo F-3..F-30, heerlen F-3; killed and copied (A: venlo over the bound).
3. heerlen F-4, venlo F-31: the aggregator's cursor is ahead of both copies.
4. The impact-calculator comes back from A: the aggregator rebuilds by buyer; heerlen fits,
   venlo does not (rebuild_failed EFBIG), and the snapshot is asked again every stall_ms.
5. The impact-calculator is stopped (SIGSTOP) until the aggregator has asked it again, then
   killed: that request dies unanswered with it. It comes back from A0.
6. The aggregator must ask the new process at once and end at A0's figures, per buyer,
   within 15 s. Before the fix a snapshot request without an answer waited
   snapshot_wait_ms (60 s: the time a large snapshot may take to read) whatever the
   producer's heartbeats said, not ready all that time.

    follow_restart_mid_snapshot.py BUILD_DIR
"""
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restore_followers as rf  # noqa: E402  (Stack, add, fairtrade, kpi_feed; BUILD from argv)

BOUND = 4096


def fail(msg):
    raise SystemExit("follow_restart_mid_snapshot: " + msg)


def want(held, buyer):
    """KPI 1 of what the impact-calculator holds for buyer: (fair, products, count)."""
    m = rf.BUYERS[buyer]
    ms = held[buyer].values()
    return (sum(f for _, f in ms) * m, sum(p for p, _ in ms) * m, len(ms))


def add(st, held, buyer, i, wait=False):
    m = rf.BUYERS[buyer]
    rf.add(st, buyer, "F-%d" % i, (i + 1) * m, i * m, wait=wait)
    held[buyer]["F-%d" % i] = (i + 1, i)


def wait_exact(st, held, what, timeout):
    end = time.monotonic() + timeout
    got = {}
    while time.monotonic() < end:
        got = {b: rf.fairtrade(st, b) for b in rf.BUYERS}
        if all(got[b] == want(held, b) for b in rf.BUYERS):
            return
        time.sleep(0.1)
    fail("%s: the aggregator shows %s, the impact-calculator holds %s (health %s)" % (
        what, got, {b: want(held, b) for b in rf.BUYERS}, rf.kpi_feed(st, "impact")))


def copy(held):
    return {b: dict(ms) for b, ms in held.items()}


def main():
    st = rf.Stack()
    ok = False
    idir = os.path.join(st.tmp, "impact-calculator")
    try:
        st.start("calendar")
        st.start("impact")
        st.start("kpi", {"MVOI_KPI_AGGREGATOR_SNAPSHOT_MAX": str(BOUND)})
        for b in rf.BUYERS:
            rf.retry(lambda: st.ctl(b, "tender", "add", "--id", "T-1", "--title", "Koffie",
                                    "--kind", "leveringen", "--publication", "2026-02-01"),
                     "tender add " + b)
        held = {b: {} for b in rf.BUYERS}
        for i in (1, 2):
            for b in rf.BUYERS:
                add(st, held, b, i)
        wait_exact(st, held, "1", 30)
        st.kill9("impact")
        rf.copy_store(idir, os.path.join(st.tmp, "bk-A0"))
        held_a0 = copy(held)
        st.start("impact")
        for i in range(3, 31):
            add(st, held, "venlo", i)
        add(st, held, "heerlen", 3)
        wait_exact(st, held, "2", 30)
        st.kill9("impact")
        rf.copy_store(idir, os.path.join(st.tmp, "bk-A"))
        st.start("impact")
        add(st, held, "heerlen", 4)
        add(st, held, "venlo", 31)
        wait_exact(st, held, "3", 30)

        # 4. back to A: venlo's part of the snapshot is over the bound
        st.kill9("impact")
        shutil.rmtree(idir)
        rf.copy_store(os.path.join(st.tmp, "bk-A"), idir)
        st.start("impact")
        per = rf.snapshot_bytes(st)
        if not (per["heerlen"] < BOUND < per["venlo"]):
            fail("4: snapshot bytes per buyer %s, want heerlen < %d < venlo" % (per, BOUND))
        end = time.monotonic() + 20
        while int(rf.kpi_feed(st, "impact")[1].get("rebuild_failures", 0)) < 1:
            if time.monotonic() > end:
                fail("4: the rebuild of venlo did not fail: %s" % (rf.kpi_feed(st, "impact"),))
            time.sleep(0.1)

        # 5. stopped while the aggregator asks again (every stall_ms, 3 s), then killed
        p = st.procs["impact"]
        p.send_signal(signal.SIGSTOP)
        time.sleep(4.0)
        st.kill9("impact")
        shutil.rmtree(idir)
        rf.copy_store(os.path.join(st.tmp, "bk-A0"), idir)
        t0 = time.monotonic()
        st.start("impact")
        held = held_a0
        wait_exact(st, held, "6 (the impact-calculator restarted from A0)", 15)
        end = time.monotonic() + 10
        while not rf.kpi_feed(st, "impact")[0]:
            if time.monotonic() > end:
                fail("6: the aggregator is not ready: %s" % (rf.kpi_feed(st, "impact"),))
            time.sleep(0.1)
        print("follow_restart_mid_snapshot: exact %s %.1f s after the restart; %s" % (
            {b: want(held, b) for b in rf.BUYERS}, time.monotonic() - t0,
            rf.kpi_feed(st, "impact")[1]))
        ok = True
    finally:
        p = st.procs.get("impact")
        if p:
            p.send_signal(signal.SIGCONT)
        st.stop()
        shutil.rmtree(rf.GEN, ignore_errors=True)
        if ok:
            shutil.rmtree(st.tmp, ignore_errors=True)
        else:
            print("follow_restart_mid_snapshot: logs in %s" % st.tmp)


if __name__ == "__main__":
    main()
