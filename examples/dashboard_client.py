#!/usr/bin/env python3
"""A dashboard as a Clone client of the kpi-aggregator (zguide chapter 5).

Subscribe to the whole KPI stream first ("kpi." and "hb"; the prefix is filtered here, so
the aggregator's gap-free seq shows every loss), then ask the ROUTER for a snapshot:
[topic][Envelope] items until SnapshotEnd{seq, epoch, incarnation}. Updates at or below that
seq are already in the snapshot; later ones carry absolute totals and are applied. Take a
new snapshot (and say "stale" meanwhile) on: a gap in the seq; a heartbeat ("hb") whose head
is beyond ours, or with another epoch or incarnation (the aggregator restarted); and every
(re)connection of the SUB socket (socket monitor: PUB drops what it sends while we are away).

Needs Debian's python3-zmq and python3-protobuf, and protoc (package protobuf-compiler):
the Python classes are generated at start from proto/ into a temporary directory.

    python3 examples/dashboard_client.py [--api tcp://127.0.0.1:7301]
        [--pub tcp://127.0.0.1:7302] [--prefix kpi.] [--seconds S] [--count N] [--dump]
A total's topic is kpi.<buyer>.<kpi>.<window>[...], buyer first: --prefix kpi.heerlen. follows
one buyer (kpi.heerlen.co2.2026 one KPI of its year); the default, kpi., every buyer.
Prints "snapshot N totals seq S", then one line per change; exits after --seconds or
--count changes (0 = run until interrupted); --dump prints every total held at the end.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "proto")


def load_messages(proto_dir):
    """Generate envelope_pb2 and friends with protoc into a temp dir and import them."""
    protoc = shutil.which("protoc")
    if not protoc:
        sys.exit("dashboard_client: protoc not found (apt-get install protobuf-compiler)")
    out = tempfile.mkdtemp(prefix="mvoi-pb2-")
    protos = [f for f in os.listdir(proto_dir) if f.endswith(".proto")]
    subprocess.run([protoc, "--proto_path=" + proto_dir, "--python_out=" + out] + protos,
                   check=True)
    sys.path.insert(0, out)
    import envelope_pb2  # noqa: E402  (generated above)
    return envelope_pb2, out


def curve_keys():
    """CURVE keys from the environment, as every mvoi client reads them (mvoi_curve.h):
    MVOI_CURVE (default on), MVOI_CURVE_KEY_FILE (this client's secret key, mode 0600/0640),
    MVOI_CURVE_SERVER_PUBLIC or MVOI_CURVE_SERVER_PUBLIC_FILE. None when MVOI_CURVE=off."""
    if os.environ.get("MVOI_CURVE", "on").lower() in ("off", "false", "no", "0"):
        return None
    path = os.environ.get("MVOI_CURVE_KEY_FILE")
    if not path:
        sys.exit("dashboard_client: MVOI_CURVE_KEY_FILE is not set (or MVOI_CURVE=off)")
    if os.stat(path).st_mode & 0o027:
        sys.exit("dashboard_client: secret_file_permissions: %s; chmod 0600" % path)
    with open(path) as f:
        secret = f.read().strip().encode()
    server = os.environ.get("MVOI_CURVE_SERVER_PUBLIC", "")
    if not server and os.environ.get("MVOI_CURVE_SERVER_PUBLIC_FILE"):
        with open(os.environ["MVOI_CURVE_SERVER_PUBLIC_FILE"]) as f:
            server = f.read().strip()
    if len(secret) != 40 or len(server) != 40:
        sys.exit("dashboard_client: the CURVE keys must be 40 Z85 characters")
    return secret, zmq.curve_public(secret), server.encode()


def curve_client(sock, keys):
    """Make sock a CURVE client of the bus before it connects."""
    if keys:
        sock.curve_secretkey, sock.curve_publickey, sock.curve_serverkey = keys


class Dashboard:
    def __init__(self, pb, api, pub, prefix, timeout_ms=5000):
        self.pb = pb
        self.ctx = zmq.Context.instance()
        keys = curve_keys()
        self.sub = self.ctx.socket(zmq.SUB)
        curve_client(self.sub, keys)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.RCVHWM, 0)
        self.sub.setsockopt_string(zmq.SUBSCRIBE, "kpi.")
        self.sub.setsockopt_string(zmq.SUBSCRIBE, "hb")
        self.mon = self.sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        self.sub.connect(pub)               # subscribe first (Clone)
        self.dealer = self.ctx.socket(zmq.DEALER)
        curve_client(self.dealer, keys)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.setsockopt(zmq.RCVHWM, 0)
        self.dealer.connect(api)
        self.prefix = prefix
        self.timeout_ms = timeout_ms
        self.state = {}
        self.seq = 0
        self.epoch = 0
        self.incarnation = 0
        self.reqno = 0
        self.resyncs = 0

    def snapshot(self):
        self.reqno += 1
        rid = "py-snap-%d-%d" % (os.getpid(), self.reqno)
        env = self.pb.Envelope(request_id=rid, schema_version=1)
        env.snapshot.prefix = self.prefix
        self.dealer.send(env.SerializeToString())
        state = {}
        while True:
            if not self.dealer.poll(self.timeout_ms):
                raise TimeoutError("no snapshot from the kpi-aggregator")
            frames = self.dealer.recv_multipart()
            e = self.pb.Envelope()
            e.ParseFromString(frames[-1])
            if len(frames) == 2 and e.WhichOneof("body") == "kpi_total":
                state[e.kpi_total.key] = e.kpi_total
            elif len(frames) == 1 and e.request_id == rid:
                if e.WhichOneof("body") != "snapshot_end":
                    raise RuntimeError("snapshot refused: %s" % e.error.message)
                self.state = state
                self.seq = e.snapshot_end.seq
                self.epoch = e.snapshot_end.epoch
                self.incarnation = e.snapshot_end.incarnation
                return len(state)

    def resnapshot(self, why):
        """The view may be behind: say so, and snapshot until the aggregator answers."""
        print("stale: %s at seq %d: re-snapshot" % (why, self.seq), file=sys.stderr)
        self.resyncs += 1
        while True:
            try:
                return self.snapshot()
            except TimeoutError:
                print("stale: no snapshot yet, asking again", file=sys.stderr)

    def check(self, e):
        """Why this message shows the view may be behind, or None."""
        kind = e.WhichOneof("body")
        if kind == "heartbeat":
            hb = e.heartbeat
            if hb.epoch != self.epoch:
                return "new epoch"
            if hb.HasField("incarnation") and hb.incarnation != self.incarnation:
                return "the aggregator restarted"
            if hb.head_seq > self.seq:
                return "heartbeat head beyond ours"
        elif kind == "kpi_total" and e.seq > self.seq + 1:
            return "gap in the seq"
        return None

    def poll(self, timeout_ms):
        """Apply what arrives within timeout_ms; returns the changed totals."""
        changed = []
        poller = zmq.Poller()
        poller.register(self.sub, zmq.POLLIN)
        poller.register(self.mon, zmq.POLLIN)
        if not poller.poll(timeout_ms):
            return changed
        while True:
            try:
                ev = self.mon.recv_multipart(zmq.NOBLOCK)
                if int.from_bytes(ev[0][:2], "little") == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    self.resnapshot("reconnected")
                continue
            except zmq.Again:
                pass
            try:
                topic, body = self.sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return changed
            e = self.pb.Envelope()
            e.ParseFromString(body)
            why = self.check(e)
            if why:
                self.resnapshot(why)
            elif e.WhichOneof("body") == "kpi_total" and e.seq > self.seq:
                self.seq = e.seq
                if topic.decode("utf-8", "replace").startswith(self.prefix):
                    self.state[e.kpi_total.key] = e.kpi_total
                    changed.append(e.kpi_total)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api", default=os.environ.get("MVOI_KPI_API", "tcp://127.0.0.1:7301"))
    ap.add_argument("--pub", default=os.environ.get("MVOI_KPI_PUB", "tcp://127.0.0.1:7302"))
    ap.add_argument("--prefix", default="kpi.")
    ap.add_argument("--proto-dir", default=PROTO_DIR)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--dump", action="store_true")
    args = ap.parse_args()
    pb, gen = load_messages(args.proto_dir)
    try:
        d = Dashboard(pb, args.api, args.pub, args.prefix)
        n = d.snapshot()
        print("snapshot %d totals seq %d" % (n, d.seq), flush=True)
        end = time.monotonic() + args.seconds if args.seconds else None
        changes = 0
        try:
            while not (args.count and changes >= args.count):
                if end and time.monotonic() >= end:
                    break
                for t in d.poll(200):
                    print("%s ambition=%d realisation=%d projects=%d seq=%d" %
                          (t.key, t.ambition, t.realisation, t.projects, t.seq), flush=True)
                    changes += 1
        except KeyboardInterrupt:
            pass                            # Ctrl-C ends the run like --seconds
        if args.dump:
            for k in sorted(d.state):
                t = d.state[k]
                print("state %s ambition=%d realisation=%d projects=%d seq=%d" %
                      (k, t.ambition, t.realisation, t.projects, t.seq), flush=True)
    finally:
        shutil.rmtree(gen, ignore_errors=True)


if __name__ == "__main__":
    main()
