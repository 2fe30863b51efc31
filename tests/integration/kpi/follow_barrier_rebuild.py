#!/usr/bin/env python3
"""Read your own writes while the kpi-aggregator is still on a history its producer lost.

calendar, impact-calculator and kpi-aggregator run for real; heerlen and venlo use the same
tender and measurement ids (venlo's figures 3x heerlen's). The aggregator runs with a
snapshot bound (snapshot_max) below one buyer's part of the impact-calculator's snapshot,
so a rebuild of it fails by name and is asked again, for as long as this test runs: the
aggregator stays on the old history, its cursor where it was (docs/design.md#rebuild).

1. F-1..F-24 per buyer (impact seqs 1..48); the impact-calculator is killed and copied.
2. F-25..F-28 (seqs 49..56); the aggregator counts all 28.
3. The impact-calculator comes back from the copy (head 48): the aggregator sees that it
   went back and tries to rebuild; the rebuild fails (rebuild_failures > 0).
4. heerlen records F-30 with `measure add --wait`: the calculator answers seq 49. The
   aggregator's cursor (56, of the lost history) is not a promise that seq 49 of the
   producer's current history is in its totals. `--wait` must not say it is: either it
   fails (unavailable), or the totals it waited for hold what the producer holds
   (F-1..F-24 + F-30), never F-1..F-28 without F-30.

The kpi-aggregator's barrier (KpiQuery{after_producer, after_seq}) compared the seq with
its cursor only, and passed while a rebuild of that producer was under way or failing; it
now answers unavailable while that producer's feed rebuilds (kpi_service.c).

With --unnoticed, step 4 comes before the aggregator has noticed the restore: it is
stopped (SIGSTOP) while the impact-calculator is put back and restarted, `measure add
--wait` gets its reply (seq 49) and asks the barrier, and only then does the aggregator go
on (SIGCONT): the barrier request is the first thing it reads, before its SUB socket has
reconnected to the restarted producer. Its cursor (56) passed for seq 49 there, and since
its rebuild then fails, the totals never held F-30 after `--wait` said they did. The reply
now names the producer's incarnation (Envelope.incarnation) and the barrier passes only once
the aggregator follows that incarnation and has checked its cursor against it
(KpiQuery.after_incarnation).

With --report, step 4 is a quarterly report asked for while the aggregator has not noticed
the restore (stopped as above): the report service reads the impact-calculator's head (48)
and asks the barrier. Its cursor (56) passed for it, and the report was written with
F-1..F-28, four measurements the producer no longer holds, reported as success. It now
passes the head's incarnation too: the report waits, and is refused by name once its
catch-up time is over (the rebuild keeps failing).

    follow_barrier_rebuild.py BUILD_DIR [--unnoticed | --report]
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restore_followers as rf  # noqa: E402  (Stack, add, wait_exact, expected; BUILD from argv)


N = 24   # measurements per buyer in the copy: each buyer's snapshot is over 4,096 bytes
UNNOTICED = "--unnoticed" in sys.argv[2:]
REPORT = "--report" in sys.argv[2:]
ARGS = ["--timeout", "3000", "measure", "add", "--id", "F-30", "--tender", "T-1",
        "--period", "2026-03-01..2026-03-31", "--kind", "fairtrade", "--category", "koffie",
        "--products", "31", "--fair", "30", "--wait"]


def fail(msg):
    raise SystemExit("follow_barrier_rebuild: " + msg)


def main():
    st = rf.Stack()
    ok = False
    idir = os.path.join(st.tmp, "impact-calculator")
    bound = {"MVOI_KPI_AGGREGATOR_SNAPSHOT_MAX": "4096"}   # the least it takes
    try:
        st.start("calendar")
        st.start("impact")
        st.start("kpi", bound)
        if REPORT:
            st.start("report")
        for b in rf.BUYERS:
            rf.retry(lambda: st.ctl(b, "tender", "add", "--id", "T-1", "--title", "Koffie",
                                    "--kind", "leveringen", "--publication", "2026-02-01"),
                     "tender add " + b)
        held = {}
        for i in range(1, N + 1):
            for b, m in rf.BUYERS.items():
                rf.add(st, b, "F-%d" % i, (i + 1) * m, i * m, wait=(i == N))
            held["F-%d" % i] = (i + 1, i)
        rf.wait_exact(st, held, "1")
        st.kill9("impact")
        rf.copy_store(idir, os.path.join(st.tmp, "bk"))
        kept = dict(held)
        st.start("impact")
        for i in range(N + 1, N + 5):
            for b, m in rf.BUYERS.items():
                rf.add(st, b, "F-%d" % i, (i + 1) * m, i * m)
            held["F-%d" % i] = (i + 1, i)
        rf.wait_exact(st, held, "2")

        if REPORT:
            s_report(st, idir)
            ok = True
            return
        if UNNOTICED:
            r = s_unnoticed(st, idir)
        else:
            r = s_noticed(st, idir)
        held = dict(kept)
        held["F-30"] = (31, 30)
        want = rf.expected(held, rf.BUYERS["heerlen"])
        if r.returncode == 0:
            got = rf.fairtrade(st, "heerlen")
            if got != want:
                fail("4: `measure add --wait` said F-30 is in the totals, which then show %s; "
                     "the impact-calculator holds %s (F-1..F-24 + F-30)" % (got, want))
            print("follow_barrier_rebuild: 4. --wait passed, the totals hold %s" % (got,))
        else:
            print("follow_barrier_rebuild: 4. --wait refused while the aggregator cannot "
                  "rebuild: %s" % r.stderr.strip())
        ok = True
    finally:
        st.stop()
        shutil.rmtree(rf.GEN, ignore_errors=True)
        if ok:
            shutil.rmtree(st.tmp, ignore_errors=True)
        else:
            print("follow_barrier_rebuild: logs in %s" % st.tmp)


def s_put_back(st, idir):
    st.kill9("impact")
    shutil.rmtree(idir)
    rf.copy_store(os.path.join(st.tmp, "bk"), idir)
    st.start("impact")


def s_noticed(st, idir):
    """3 and 4: the aggregator has seen the restore and its rebuild fails."""
    s_put_back(st, idir)
    per = rf.snapshot_bytes(st)
    if min(per.values()) <= 4096:
        fail("3: a buyer's part of the snapshot (%s) fits in the bound" % per)
    end = time.monotonic() + 20
    while True:
        ready, feed = rf.kpi_feed(st, "impact")
        if int(feed.get("rebuild_failures", 0)) > 0:
            break
        if time.monotonic() > end:
            fail("3: no failed rebuild after the restore: %s" % feed)
        time.sleep(0.1)
    print("follow_barrier_rebuild: 3. the aggregator is not ready (%s), its rebuild "
          "fails: %s" % (ready, feed))
    # what an operator reads: no "lag=0" of a cursor of the lost history
    h = st.ctl("heerlen", "system", "health", "kpi")
    line = [x for x in h.stdout.splitlines() if x.strip().startswith("<- impact")]
    if not line or " lag=- " not in line[0] or "REBUILDING" not in line[0]:
        fail("3: mvoictl system health kpi during the failing rebuild: %s" % h.stdout)
    return st.ctl("heerlen", *ARGS)


def s_while_stopped(st, idir, args):
    """mvoictl args, asked after the restore and before the aggregator has seen it."""
    kpi = st.procs["kpi"]
    kpi.send_signal(signal.SIGSTOP)
    try:
        s_put_back(st, idir)
        p = subprocess.Popen([os.path.join(rf.BUILD, "services/mvoictl/mvoictl"), "--buyer",
                              "heerlen"] + args, env=st.ctl_env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)   # the head is read; the barrier request waits in the queue
        if p.poll() is not None:
            fail("3: `mvoictl %s` ended while the aggregator was stopped: %s"
                 % (" ".join(args[2:4]), p.stderr.read()))
    finally:
        kpi.send_signal(signal.SIGCONT)
    out, err = p.communicate(timeout=60)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def s_unnoticed(st, idir):
    """3 and 4 at once: the barrier is asked before the aggregator has seen the restore."""
    return s_while_stopped(st, idir, ARGS)


def s_report(st, idir):
    """3 and 4: a report asked for before the aggregator has seen the restore."""
    r = s_while_stopped(st, idir, ["--timeout", "30000", "report", "generate", "--year",
                                   "2026", "--quarter", "1", "--format", "json"])
    if r.returncode == 0:
        fail("4: a report was written from the totals of the lost history (F-1..F-28; "
             "the impact-calculator holds F-1..F-24): %s" % r.stdout.strip())
    if "impact" not in r.stderr:
        fail("4: the refusal does not name the impact-calculator's events: %s" % r.stderr)
    print("follow_barrier_rebuild: 4. the report is refused while the aggregator is on the "
          "lost history: %s" % r.stderr.strip())


if __name__ == "__main__":
    main()
