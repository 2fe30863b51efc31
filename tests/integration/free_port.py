#!/usr/bin/env python3
"""Free TCP ports on 127.0.0.1 for the shell tests, instead of ports derived from $$ (which
collide with other tests' ranges and the kernel's ephemeral ports).

  free_port.py               one port the kernel hands out (bind to port 0)
  free_port.py --base OFF..  a base B (a multiple of 100 from 20000, with every B+OFF
                             below the ephemeral range at 32768) such that every B+OFF is
                             free now

A port found free can still be taken before the test binds it; the window is the few
milliseconds between this check and the service's bind, not a fixed shared range."""
import random
import socket
import sys


def free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main(argv):
    if not argv:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
        s.close()
        return 0
    if argv[0] != "--base" or not all(a.isdigit() for a in argv[1:]):
        print("usage: free_port.py [--base OFFSET...]", file=sys.stderr)
        return 64
    offs = [int(a) for a in argv[1:]]
    bases = (32768 - 20000 - max(offs, default=0) - 1) // 100 + 1
    if bases < 1:
        print("free_port.py: offsets must be below 12768", file=sys.stderr)
        return 64
    rng = random.SystemRandom()
    for _ in range(500):
        base = 20000 + 100 * rng.randrange(0, bases)
        if all(free(base + o) for o in offs):
            print(base)
            return 0
    print("free_port.py: no base with all offsets free", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
