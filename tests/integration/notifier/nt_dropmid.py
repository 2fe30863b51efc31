#!/usr/bin/python3
"""An SMTP server that breaks the connection in the middle of DATA, for the notifier tests.

aiosmtpd reads the whole of DATA before a handler sees it, so this is a small server of its
own, on plain blocking sockets (asyncio would read ahead into its own buffer). The first
DROPS transactions: after the 354 it reads AFTER bytes of the message, waits 0.3 s (the
client has sent everything and awaits the answer) and closes the socket with the rest
unread, its end of DATA among it: the message is not stored, and the
kernel answers with a reset (a close with unread data). Later transactions are stored in
the Maildir MAILDIR as aiosmtpd's Mailbox does (with X-MailFrom and X-RcptTo) and answered
250. Each drop appends a line "dropped" to MAILDIR/../dropmid.drops.

Usage: nt_dropmid.py PORT MAILDIR DROPS AFTER
"""
import mailbox
import os
import sys
import threading
import time

import nt_rawsmtp

port, maildir, drops, after = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
box = mailbox.Maildir(maildir, create=True)
log = os.path.join(os.path.dirname(os.path.abspath(maildir)), "dropmid.drops")
lock = threading.Lock()
left = [drops]


def take_drop():
    with lock:
        if left[0] > 0:
            left[0] -= 1
            return True
        return False


def session(conn):
    f = conn.makefile("rb", buffering=0)   # no read-ahead: unread bytes stay in the kernel

    def send(s):
        conn.sendall((s + "\r\n").encode())

    send("220 dropmid ESMTP")
    mail_from, rcpts = "", []
    while True:
        line = f.readline()
        if not line:
            break
        cmd = line.decode("latin1").rstrip("\r\n")
        u = cmd.upper()
        if u.startswith(("EHLO", "HELO")):
            send("250-dropmid\r\n250 8BITMIME")
        elif u.startswith("MAIL FROM:"):
            mail_from, rcpts = cmd[10:].strip(" <>"), []
            send("250 OK")
        elif u.startswith("RCPT TO:"):
            rcpts.append(cmd[8:].strip(" <>"))
            send("250 OK")
        elif u == "DATA":
            send("354 go ahead")
            if take_drop():
                got = 0
                while got < after:
                    chunk = conn.recv(after - got)
                    if not chunk:
                        break
                    got += len(chunk)
                # The client has long sent the rest, its end of DATA included (the message
                # fits the socket buffers) and waits for the answer; the close finds them
                # unread.
                time.sleep(0.3)
                with open(log, "a") as lf:
                    lf.write("dropped\n")
                break
            data = nt_rawsmtp.read_data(f)
            if data is None:
                break
            nt_rawsmtp.store(box, mail_from, rcpts, data)
            send("250 2.0.0 stored")
        elif u in ("RSET", "NOOP"):
            send("250 OK")
        elif u == "QUIT":
            send("221 bye")
            break
        else:
            send("502 5.5.2 unknown")
    conn.close()


nt_rawsmtp.serve_forever(port, session)
