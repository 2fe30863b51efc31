"""Free TCP ports for the Python integration scripts that start services on tcp://.

Each socket stays bound until all ports of the call are chosen: a port closed at once may
be handed out again by the next bind(0), and two services of one stack then collide
("Address already in use", seen in CI as a service that never came up).
"""
import socket


def free_ports(names):
    """A dict name -> a distinct free port on 127.0.0.1, one for each of names."""
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
