#!/usr/bin/python3
"""Webhook receiver for the notifier tests: checks the Standard Webhooks signature and
Idempotency-Key; answers the first FAIL_FIRST requests with 503 + Retry-After: 1.
Usage: nt_webhook_recv.py PORT SECRET OUTFILE FAIL_FIRST [BODYFILE]; OUTFILE gets one line per
request:
  ok|bad|retry WEBHOOK-ID TEMPLATE-MARKER
and BODYFILE, when given, each request's body on a line of its own."""
import base64
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, secret, outfile, fail_first = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
bodyfile = sys.argv[5] if len(sys.argv) > 5 else None
count = [0]


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mid = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        sig = self.headers.get("webhook-signature", "")
        idem = self.headers.get("Idempotency-Key", "")
        want = "v1," + base64.b64encode(
            hmac.new(key, ("%s.%s." % (mid, ts)).encode() + body, hashlib.sha256).digest()).decode()
        ok = hmac.compare_digest(want, sig) and idem == '"%s"' % mid
        try:
            j = json.loads(body)
            marker = "teams" if j.get("attachments") else ("slack" if "blocks" in j else "plain")
        except ValueError:
            ok, marker = False, "nojson"
        count[0] += 1
        status = "ok" if ok else "bad"
        if count[0] <= fail_first:
            status = "retry"
        if bodyfile:   # before the status line: a reader that saw the status sees the body
            with open(bodyfile, "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
        with open(outfile, "a") as f:
            f.write("%s %s %s\n" % (status, mid, marker))
        if status == "retry":
            self.send_response(503)
            self.send_header("Retry-After", "1")
        else:
            self.send_response(200 if ok else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()


HTTPServer(("127.0.0.1", port), H).serve_forever()
