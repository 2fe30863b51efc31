#!/usr/bin/env python3
"""A producer that goes back twice: the second time while its consumer's cursor was set by
a rebuild (docs/design.md#rebuild), real processes.

calendar, impact-calculator and kpi-aggregator run for real; heerlen and venlo use the same
tender and measurement ids (venlo's figures are 3x heerlen's). Fair-trade measurements:
KPI 1 is (sum of fair-trade products, sum of products, count), computed here from what
the impact-calculator holds.

1. F-1..F-4 per buyer (impact seqs 1..8); the impact-calculator is killed and copied (A).
2. F-5..F-8 (seqs 9..16); killed and copied again (B).
3. F-9..F-12 (seqs 17..24); the aggregator counts all twelve.
4. The impact-calculator comes back from B (head 16 < the aggregator's cursor 24): the
   aggregator rebuilds from its snapshot (went_back) and shows F-1..F-8. Its cursor on the
   impact-calculator is now the snapshot's seq, 16, set by the rebuild.
5. The aggregator is stopped (SIGTERM). The impact-calculator comes back from A (head 8)
   and takes F-20..F-25 per buyer (seqs 9..20: past 16, of another history).
6. The aggregator starts. It must notice that the impact-calculator went back again and end
   at F-1..F-4 + F-20..F-25. Before the fix, a cursor set by a rebuild had no fingerprint:
   the replay went on from 17 without checking event 16, and the aggregator kept F-5..F-8
   (which the producer no longer has) and added F-24, F-25 on top, silently.

    follow_restore_twice.py BUILD_DIR
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restore_followers as rf  # noqa: E402  (Stack, add, wait_exact, expected; BUILD from argv)


def fail(msg):
    raise SystemExit("follow_restore_twice: " + msg)


def add_range(st, held, ids, wait=True):
    for i in ids:
        for b, m in rf.BUYERS.items():
            rf.add(st, b, "F-%d" % i, (i + 1) * m, i * m, wait=wait)
        held["F-%d" % i] = (i + 1, i)


def impact_cursor(st):
    return rf.kpi_feed(st, "impact")[1]


def main():
    st = rf.Stack()
    ok = False
    idir = os.path.join(st.tmp, "impact-calculator")
    try:
        for name in ("calendar", "impact", "kpi"):
            st.start(name)
        for b in rf.BUYERS:
            rf.retry(lambda: st.ctl(b, "tender", "add", "--id", "T-1", "--title", "Koffie",
                                    "--kind", "leveringen", "--publication", "2026-02-01"),
                     "tender add " + b)
        held = {}
        add_range(st, held, range(1, 5))
        rf.wait_exact(st, held, "1")
        st.kill9("impact")
        rf.copy_store(idir, os.path.join(st.tmp, "bk-A"))
        held_a = dict(held)
        st.start("impact")
        add_range(st, held, range(5, 9))
        rf.wait_exact(st, held, "2")
        st.kill9("impact")
        rf.copy_store(idir, os.path.join(st.tmp, "bk-B"))
        held_b = dict(held)
        st.start("impact")
        add_range(st, held, range(9, 13))
        rf.wait_exact(st, held, "3")
        print("follow_restore_twice: 3. counted %s, cursor %s" % (
            {b: rf.expected(held, m) for b, m in rf.BUYERS.items()},
            impact_cursor(st).get("last_seq")))

        # 4. back to B: the aggregator rebuilds and its cursor is the snapshot's seq
        st.kill9("impact")
        shutil.rmtree(idir)
        rf.copy_store(os.path.join(st.tmp, "bk-B"), idir)
        st.start("impact")
        held = dict(held_b)
        rf.wait_exact(st, held, "4 (restored from B)")
        end = time.monotonic() + 20
        while True:
            ready, feed = rf.kpi_feed(st, "impact")
            # ready again after a rebuild: the replay of the tail that follows it is done
            if ready and feed.get("rebuilds", 0) >= 1:
                break
            if time.monotonic() > end:
                fail("4: no rebuild after the restore from B: %s" % feed)
            time.sleep(0.1)
        print("follow_restore_twice: 4. rebuilt (%s), exact %s, cursor %s" % (
            feed.get("rebuild_reason"), {b: rf.expected(held, m) for b, m in rf.BUYERS.items()},
            feed.get("last_seq")))

        # 5. the aggregator is down; the impact-calculator goes back to A and goes on
        st.term("kpi")
        st.kill9("impact")
        shutil.rmtree(idir)
        rf.copy_store(os.path.join(st.tmp, "bk-A"), idir)
        st.start("impact")
        held = dict(held_a)
        add_range(st, held, range(20, 26), wait=False)
        h = None
        end = time.monotonic() + 10
        while time.monotonic() < end:
            r = st.ctl("heerlen", "--json", "system", "health", "impact")
            if r.returncode == 0:
                h = rf.json.loads(r.stdout)
                break
            time.sleep(0.1)
        print("follow_restore_twice: 5. impact-calculator from A, head now %s" % (
            (h or {}).get("head_seq"),))

        # 6. the aggregator starts again: exact figures of what the producer holds
        st.start("kpi")
        rf.wait_exact(st, held, "6 (after the second restore, from A)")
        feed = impact_cursor(st)
        print("follow_restore_twice: 6. exact %s, rebuild reason %s" % (
            {b: rf.expected(held, m) for b, m in rf.BUYERS.items()}, feed.get("rebuild_reason")))
        ok = True
    finally:
        st.stop()
        shutil.rmtree(rf.GEN, ignore_errors=True)
        if ok:
            shutil.rmtree(st.tmp, ignore_errors=True)
        else:
            print("follow_restore_twice: logs in %s" % st.tmp)


if __name__ == "__main__":
    main()
