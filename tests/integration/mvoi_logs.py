"""The logs of a failed Python integration test's services, into the test's own output.

A test keeps its temp dir when it fails, but CI runs on a machine that is gone afterwards:
what the services said must be in the output ctest keeps (its LastTest.log), or the cause
is lost with the machine.
"""
import os
import sys


def print_logs(name, tmp, lines=80):
    """The last lines of every *.log under tmp (its subdirectories too) on stderr, then where
    the dir is kept."""
    for root, _, files in sorted(os.walk(tmp)):
        for f in sorted(files):
            if not f.endswith(".log"):
                continue
            path = os.path.join(root, f)
            with open(path, errors="replace") as fh:
                tail = fh.readlines()[-lines:]
            print("%s: --- %s (last %d lines)\n%s" % (name, os.path.relpath(path, tmp),
                                                     len(tail), "".join(tail)),
                  file=sys.stderr)
    print("%s: logs kept in %s" % (name, tmp), file=sys.stderr)
