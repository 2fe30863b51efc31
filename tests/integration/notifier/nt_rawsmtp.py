"""What the notifier tests' raw-socket SMTP servers (nt_dropmid.py, nt_slowrcpt.py) share:
reading DATA, storing a message as aiosmtpd's Mailbox handler does, and the accept loop (a
thread per connection, an OSError ends it). They are servers of their own because aiosmtpd
reads the whole of DATA before a handler sees it."""
import socket
import threading


def read_data(f):
    """The message up to its end of DATA (dot-stuffing undone), or None if the client went."""
    buf = bytearray()
    while True:
        line = f.readline()
        if not line:
            return None
        if line == b".\r\n":
            return bytes(buf)
        buf += line[1:] if line.startswith(b"..") else line


def store(box, mail_from, rcpts, data):
    """Into the Maildir box, with X-MailFrom and X-RcptTo as aiosmtpd's Mailbox adds them."""
    head = "X-MailFrom: %s\r\nX-RcptTo: %s\r\n" % (mail_from, ", ".join(rcpts))
    box.add(head.encode() + data)


def serve_forever(port, session):
    """session(conn) for every connection to 127.0.0.1:port, each on a thread."""
    def one(conn):
        try:
            session(conn)
        except OSError:
            conn.close()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()
