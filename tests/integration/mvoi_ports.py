"""Free TCP ports for the Python integration scripts that start services on tcp://.

The same ports and reservations as the C harness (tests/integration/h_ports.c): below the
kernel's ephemeral range, where no outgoing connection is given a port between our check
and the service's bind ("Address already in use", seen in CI as a service that never came
up), each reserved for this process's life by a lock on /tmp/mvoi-test-ports/<port> that
every test of the tree takes. Where the kernel's range overlaps ours, the kernel picks.
"""
import fcntl
import os
import random
import socket

LO, HI = 10000, 20000      # 20000-32767 is free_port.py --base's; 32768 up the kernel's
DIR = "/tmp/mvoi-test-ports"
_held = []                 # the lock files, open until the process exits


def _range_ours():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return False
    return lo >= HI or hi < LO


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _reserve(port):
    try:
        f = open(os.path.join(DIR, str(port)), "a")
    except OSError:
        return False
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    if not _bindable(port):
        f.close()
        return False
    _held.append(f)
    return True


def _kernel_ports(names):
    socks = []
    try:
        for _ in names:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return {n: s.getsockname()[1] for n, s in zip(names, socks)}
    finally:
        for s in socks:
            s.close()


def free_ports(names):
    """A dict name -> a distinct free port on 127.0.0.1, one for each of names."""
    names = list(names)
    try:
        os.makedirs(DIR, mode=0o700, exist_ok=True)
    except OSError:
        return _kernel_ports(names)
    if not _range_ours():
        return _kernel_ports(names)
    span = HI - LO
    start = random.SystemRandom().randrange(span)
    ports = []
    for k in range(span):
        if len(ports) == len(names):
            break
        port = LO + (start + k) % span
        if _reserve(port):
            ports.append(port)
    if len(ports) < len(names):
        raise OSError("no free test port left in %d-%d" % (LO, HI - 1))
    return dict(zip(names, ports))
