#!/usr/bin/python3
"""An SMTP server that answers RCPT TO only after DELAY seconds, for the notifier tests.

It keeps a transfer in flight for as long as a test needs (to stop the notifier in the
middle of it) and records what the client sends, so a test can tell whether anything
went out after the stop. A raw server on blocking sockets (aiosmtpd reads ahead and would
not show the order of the lines): a reader goes on reading and logging while the answers
go out, in order, from a writer thread, the RCPT answer held back by DELAY; so a line the
client sends while it waits is logged at once, and a client that closes is seen at once
("eof"). Everything else is answered normally: EHLO, MAIL, DATA (354), the message (stored
in the Maildir MAILDIR with X-MailFrom and X-RcptTo, as aiosmtpd's Mailbox does, and
answered 250), RSET, NOOP, QUIT.

LOG gets one line per event, flushed at once:
  "C> <line>"                          a command line, and "C> ." for an end of DATA
  "stored <n> bytes, <m> body bytes"   a message stored (m: after the header's blank line)
  "eof"                                the client closed the connection

Usage: nt_slowrcpt.py PORT MAILDIR LOG DELAY
"""
import mailbox
import queue
import sys
import threading
import time

import nt_rawsmtp

port, maildir, logpath, delay = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
box = mailbox.Maildir(maildir, create=True)
log_lock = threading.Lock()


def log(s):
    with log_lock, open(logpath, "a") as f:
        f.write(s + "\n")


def writer(conn, q):
    """Sends the answers in order, each not before its moment."""
    while True:
        item = q.get()
        if item is None:
            return
        text, at = item
        wait = at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            conn.sendall((text + "\r\n").encode())
        except OSError:
            return


def session(conn):
    f = conn.makefile("rb", buffering=0)
    q = queue.Queue()
    w = threading.Thread(target=writer, args=(conn, q), daemon=True)
    w.start()

    def send(s, later=0.0):
        q.put((s, time.monotonic() + later))

    send("220 slowrcpt ESMTP")
    mail_from, rcpts = "", []
    while True:
        line = f.readline()
        if not line:
            log("eof")
            break
        cmd = line.decode("latin1").rstrip("\r\n")
        log("C> " + cmd)
        u = cmd.upper()
        if u.startswith(("EHLO", "HELO")):
            send("250-slowrcpt\r\n250 8BITMIME")
        elif u.startswith("MAIL FROM:"):
            mail_from, rcpts = cmd[10:].strip(" <>"), []
            send("250 OK")
        elif u.startswith("RCPT TO:"):
            rcpts.append(cmd[8:].strip(" <>"))
            send("250 OK", delay)
        elif u == "DATA":
            send("354 go ahead")
            data = nt_rawsmtp.read_data(f)
            if data is None:
                log("eof")
                break
            log("C> .")
            sep = data.find(b"\r\n\r\n")
            body = len(data) - sep - 4 if sep >= 0 else 0
            nt_rawsmtp.store(box, mail_from, rcpts, data)
            log("stored %d bytes, %d body bytes" % (len(data), body))
            send("250 2.0.0 stored")
        elif u in ("RSET", "NOOP"):
            send("250 OK")
        elif u == "QUIT":
            send("221 bye")
            break
        else:
            send("502 5.5.2 unknown")
    q.put(None)
    w.join()
    conn.close()


nt_rawsmtp.serve_forever(port, session)
