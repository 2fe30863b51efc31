#!/usr/bin/env python3
"""The gateway's HTTP API in the client's language, with real processes.

calendar, impact-calculator, kpi-aggregator and two gateways (one Dutch by default, one
configured English) run for real. The language of a request is ?lang= (nl, en), else
Accept-Language (RFC 9110 §12.5.4: q-values, a region is its language, "*", q=0
excludes), else the gateway's configured default; a header that does not parse is the
default, never a refusal or a 500, and an unknown ?lang= is 400 naming the parameter.
Shown:

1. the same bad request (GET /api/tenders?view=sideways) with Accept-Language
   "en-GB,en;q=0.8", with ?lang=en, with "nl", with none, with q-values and q=0, with
   malformed headers: the problem document's title and detail in the chosen language,
   Content-Language and Vary: Accept-Language; the English gateway's default the other way;
2. ?lang= that is no language: 400 naming "lang", itself in the header's language;
3. a refusal of the calendar (SROI 7 % outside 2-5 %) and of the impact-calculator (more fair
   products than products) relayed through the gateway in the chosen language, for two
   buyers with the same tender and measurement ids, neither touching the other's tender;
4. the SSE stream (numbers only) carries no Content-Language; /api/texts follows the header;
5. an Idempotency-Key the services cannot take as a request id ("a$b") is 400 naming the
   header, its byte counted in the key, in the chosen language, and nothing is written
   (it was the calendar's 422 on "request_id", a field the client never sent, its character
   counted in "gw:a$b").

The expected texts are written out here (the catalogue's wording), not taken from the code.

    gateway_lang.py BUILD_DIR
"""
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mvoi_logs import print_logs  # noqa: E402
from mvoi_ports import free_ports  # noqa: E402
import gw_stack  # noqa: E402

TOKEN = "gwlang-admin-token-0123456789abcdef"
BUYERS = ("heerlen", "landgraaf")
FAILS = []

# the bad request's texts, per language
VIEW = {"nl": ("Ongeldig verzoek", "verwacht list of upcoming"),
        "en": ("Bad Request", "expected list or upcoming")}
LANG = {"nl": "verwacht nl of en", "en": "expected nl or en"}
SROI = {"nl": "SROI 7,00 % ligt buiten 2-5 % (200..500 bp); geef sroi_exempt_reason om af te "
              "wijken",
        "en": "SROI 7.00 % is outside 2-5 % (200..500 bp); give sroi_exempt_reason to deviate"}
FAIR = {"nl": "7 is meer dan products_total 5", "en": "7 exceeds products_total 5"}
UNPROCESSABLE = {"nl": "Inhoud niet te verwerken", "en": "Unprocessable Content"}
# '$' is the second character of the key "a$b": the id rule (common/mvoi_id.c) counts
# characters from 1, as the tender rules do (it said "teken 1", a byte offset from 0)
IDEM = {"nl": "teken 2 (U+0024) mag niet in een kenmerk",
        "en": "character 2 (U+0024) is not allowed in an id"}


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, file=sys.stderr)


def req(port, method, path, headers=None, body=None):
    """(status, headers dict lower-case, parsed body or text)"""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body).encode()
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    hd = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    ctype = hd.get("content-type", "")
    return r.status, hd, json.loads(data) if "json" in ctype and data else data.decode()


def expect_problem(port, path, headers, lang, status, title, detail, field, what):
    st, hd, b = req(port, "GET", path, headers)
    where = "%s %s %s" % (what, path, headers)
    check(st == status, "%s: status %d, want %d (%s)" % (where, st, status, b))
    if not isinstance(b, dict):
        return
    check(b.get("title") == title, "%s: title %r, want %r" % (where, b.get("title"), title))
    check(b.get("detail") == detail, "%s: detail %r, want %r" % (where, b.get("detail"), detail))
    check(b.get("field") == field, "%s: field %r, want %r" % (where, b.get("field"), field))
    check(hd.get("content-language") == lang,
          "%s: Content-Language %r, want %r" % (where, hd.get("content-language"), lang))
    check("accept-language" in hd.get("vary", "").lower(),
          "%s: Vary %r lacks Accept-Language" % (where, hd.get("vary")))


def negotiation(port):
    """1, 2: the Dutch gateway (the default)."""
    bad = "/api/tenders?view=sideways"
    cases = [
        ({"Accept-Language": "en-GB,en;q=0.8"}, "", "en"),
        ({}, "&lang=en", "en"),
        ({"Accept-Language": "en"}, "&lang=nl", "nl"),        # ?lang= wins over the header
        ({"Accept-Language": "nl"}, "", "nl"),
        ({}, "", "nl"),                                        # none: the default
        ({"Accept-Language": "en-US;q=0.2, nl;q=0.1"}, "", "en"),
        ({"Accept-Language": "de, en;q=0.5, nl;q=0.4"}, "", "en"),
        ({"Accept-Language": "nl;q=0, *;q=0.1"}, "", "en"),  # "*", nl excluded
        ({"Accept-Language": "en;q=0, nl;q=0.3"}, "", "nl"),
        ({"Accept-Language": "en;q=0, *"}, "", "nl"),         # "*" but never English
        ({"Accept-Language": "EN-gb"}, "", "en"),             # case does not matter
        ({"Accept-Language": "nl, en"}, "", "nl"),            # a tie: the first listed
        ({"Accept-Language": "en;q=0.500, nl;q=0.5"}, "", "en"),
        ({"Accept-Language": "fr, de"}, "", "nl"),            # none of ours: the default
        # malformed: the default, never a refusal or a 500
        ({"Accept-Language": "en;q=2"}, "", "nl"),
        ({"Accept-Language": "en;q=0.5x"}, "", "nl"),
        ({"Accept-Language": "en;;q=1"}, "", "nl"),
        ({"Accept-Language": "en;q=0.1234"}, "", "nl"),
        ({"Accept-Language": "en-"}, "", "nl"),
        ({"Accept-Language": "english-language-please"}, "", "nl"),
        ({"Accept-Language": "!!!"}, "", "nl"),
        ({"Accept-Language": "en" + ";q=1" * 2000}, "", "nl"),
    ]
    for headers, q, lang in cases:
        title, detail = VIEW[lang]
        expect_problem(port, bad + q, headers, lang, 400, title, detail, "view", "negotiation")
    # an unknown ?lang= is refused by name, said in the header's language
    for headers, lang in (({"Accept-Language": "en"}, "en"), ({}, "nl")):
        for value in ("fr", "english", ""):
            expect_problem(port, "/api/tenders?lang=" + value, headers, lang, 400,
                           VIEW[lang][0], LANG[lang], "lang", "unknown lang")
        expect_problem(port, "/?lang=de", headers, lang, 400, VIEW[lang][0], LANG[lang],
                       "lang", "unknown lang on the page")
    # a path that is not there: 404 in the language too
    expect_problem(port, "/api/nothing", {"Accept-Language": "en-GB"}, "en", 404, "Not Found",
                   "no such path", None, "404")
    expect_problem(port, "/api/nothing", {}, "nl", 404, "Niet gevonden", "dit pad bestaat niet",
                   None, "404")
    # ?lang= is every route's: a read that takes no other parameter still answers
    st, hd, b = req(port, "GET", "/api/tenders?lang=en", {"Accept-Language": "nl"})
    check(st == 200, "GET /api/tenders?lang=en: %d %s" % (st, b))
    # the page's texts follow the header when the page names no language
    for headers, lang, title in (({"Accept-Language": "en-GB"}, "en", "MVOI dashboard"),
                                 ({}, "nl", "MVOI-dashboard")):
        st, hd, b = req(port, "GET", "/api/texts", headers)
        check(st == 200 and b.get("lang") == lang and b["texts"].get("dash.title") == title,
              "/api/texts %s: %d %s" % (headers, st, str(b)[:200]))
        check(hd.get("content-language") == lang, "/api/texts Content-Language %r"
              % hd.get("content-language"))


def english_default(port):
    """1: a gateway configured English: the default is English, a header still chooses."""
    bad = "/api/tenders?view=sideways"
    for headers, q, lang in (({}, "", "en"), ({"Accept-Language": "nl-BE"}, "", "nl"),
                             ({"Accept-Language": "en;q=7"}, "", "en"),
                             ({"Accept-Language": "fr"}, "", "en"),
                             ({"Accept-Language": "en"}, "&lang=nl", "nl")):
        title, detail = VIEW[lang]
        expect_problem(port, bad + q, headers, lang, 400, title, detail, "view",
                       "english gateway")


def relayed(port):
    """3: refusals of the calendar and the impact-calculator, two buyers with the same ids."""
    auth = {"Authorization": "Bearer " + TOKEN}
    for b in BUYERS:   # a valid tender first: the same id for both buyers
        st, _, body = req(port, "POST", "/api/tenders?buyer=" + b, auth, {"tender": {
            "id": "L-1", "title": "Koffie " + b, "kind": "leveringen",
            "value_cents": 100000, "planned_publication": "2027-03-01"}})
        check(st == 201, "register L-1 for %s: %d %s" % (b, st, body))
    sroi = {"tender": {"id": "L-9", "title": "Nieuw traject", "kind": "diensten",
                       "value_cents": 100000, "planned_publication": "2027-03-01",
                       "themes": [{"theme": "social_return", "commitment": "eis"}],
                       "sroi_pct_bp": 700}}
    for b in BUYERS:
        for headers, q, lang in (({"Accept-Language": "en-GB,en;q=0.8"}, "", "en"),
                                 ({"Accept-Language": "en"}, "&lang=nl", "nl"),
                                 ({}, "&lang=en", "en"),
                                 ({}, "", "nl")):
            st, hd, body = req(port, "POST", "/api/tenders?buyer=%s%s" % (b, q),
                               dict(auth, **headers), sroi)
            where = "calendar refusal %s %s%s" % (b, headers, q)
            check(st == 422, "%s: %d %s" % (where, st, body))
            check(isinstance(body, dict) and body.get("detail") == SROI[lang]
                  and body.get("title") == UNPROCESSABLE[lang]
                  and body.get("field") == "tender.sroi_pct_bp", "%s: %s" % (where, body))
            check(hd.get("content-language") == lang, "%s: Content-Language %r"
                  % (where, hd.get("content-language")))
    fair = {"measurements": [{
        "id": "L-M-1", "tender_id": "L-1", "phase": "PHASE_REALISATION",
        "period_start": "2026-03-01", "period_end": "2026-03-31",
        "fairtrade": {"category": "koffie", "products_total": 5, "products_fair": 7}}]}
    for b in BUYERS:
        for headers, q, lang in (({"Accept-Language": "en-GB,en;q=0.8"}, "", "en"),
                                 ({}, "", "nl"), ({"Accept-Language": "en"}, "&lang=nl", "nl")):
            where = "impact refusal %s %s%s" % (b, headers, q)
            for _ in range(100):   # the calculator learns the tender from the calendar
                st, hd, body = req(port, "POST", "/api/measurements?buyer=%s%s" % (b, q),
                                   dict(auth, **headers), fair)
                # the service's message names its field first ("submit_measurements.…: ")
                if isinstance(body, dict) and body.get("detail", "").endswith(": " + FAIR[lang]):
                    break
                time.sleep(0.1)
            check(st == 422 and body.get("detail", "").endswith(": " + FAIR[lang])
                  and body.get("title") == UNPROCESSABLE[lang], "%s: %d %s" % (where, st, body))
            check(hd.get("content-language") == lang, "%s: Content-Language %r"
                  % (where, hd.get("content-language")))
    for b in BUYERS:   # each buyer's L-1 is its own, and the refusals wrote nothing
        st, _, body = req(port, "GET", "/api/tenders/L-1?buyer=" + b)
        check(st == 200 and body.get("title") == "Koffie " + b, "L-1 of %s: %d %s"
              % (b, st, body))
        st, _, body = req(port, "GET", "/api/tenders/L-9?buyer=" + b)
        check(st == 404, "L-9 of %s was written: %d %s" % (b, st, body))


def idempotency_key(port):
    """5: a key that is no request id, refused by the gateway by name."""
    auth = {"Authorization": "Bearer " + TOKEN, "Idempotency-Key": "a$b"}
    tender = {"tender": {"id": "L-IK", "title": "Koffie", "kind": "leveringen",
                         "value_cents": 100000, "planned_publication": "2027-03-01"}}
    for q, lang in (("", "nl"), ("&lang=en", "en")):
        st, hd, body = req(port, "POST", "/api/tenders?buyer=heerlen" + q, auth, tender)
        where = "Idempotency-Key a$b %s" % lang
        check(st == 400, "%s: %d %s" % (where, st, body))
        check(isinstance(body, dict) and body.get("field") == "Idempotency-Key"
              and body.get("detail") == IDEM[lang], "%s: %s" % (where, body))
    st, _, body = req(port, "GET", "/api/tenders/L-IK?buyer=heerlen")
    check(st == 404, "L-IK was written under a refused key: %d %s" % (st, body))


def two_field_lines(port):
    """Accept-Language given on two field lines is one list (RFC 9110 §5.3)."""
    for lines, lang in ((("fr", "en"), "en"), (("en;q=0.1", "nl;q=0.9"), "nl"),
                        (("en;q=0.9", "nl;q=0.1"), "en")):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/tenders?view=sideways HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  + b"".join(b"Accept-Language: %s\r\n" % v.encode() for v in lines) + b"\r\n")
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.close()
        head, _, body = got.partition(b"\r\n\r\n")
        check(b"content-language: " + lang.encode() in head.lower()
              and json.loads(body).get("detail") == VIEW[lang][1],
              "two Accept-Language lines %s: %s" % (lines, got[:400]))


def stream_headers(port):
    """4: the stream's events are numbers and ids: no Content-Language."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    head = got.split(b"\r\n\r\n")[0].decode().lower()
    check(head.startswith("http/1.1 200"), "stream: %s" % head[:80])
    check("content-language" not in head, "stream with Content-Language: %s" % head)


def wait_ready(port):
    """The gateway listening and its calendar and impact-calculator reachable (503 before)."""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            if all(req(port, "GET", p)[0] == 200 for p in ("/api/tenders", "/api/measurements")):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("lang: the gateway on %d or its upstreams did not start" % port)


def main():
    tmp = tempfile.mkdtemp(prefix="mvoi-gwlang-")
    ports = free_ports(("capi", "cpub", "iapi", "ipub", "kapi", "kpub", "http", "http_en"))
    ep = {k: "tcp://127.0.0.1:%d" % p for k, p in ports.items() if not k.startswith("http")}
    tokens = os.path.join(tmp, "tokens")
    with open(tokens, "w") as f:
        f.write("admin %s gwlang buyers=heerlen,landgraaf\n"
                % hashlib.sha256(TOKEN.encode()).hexdigest())
    base = dict(os.environ, MVOI_DATA_DIR=tmp, MVOI_LOG_LEVEL="warn")
    svc = gw_stack.services(ep, ports["http"], {"MVOI_GATEWAY_TOKENS_FILE": tokens})
    en = dict(svc["gateway"][1], MVOI_GATEWAY_LISTEN="127.0.0.1:%d" % ports["http_en"],
              MVOI_GATEWAY_LANG="en")
    svc["gateway_en"] = (svc["gateway"][0], en)
    procs = []
    for name, (rel, env) in svc.items():
        log = open(os.path.join(tmp, name + ".log"), "wb")
        procs.append(subprocess.Popen([os.path.join(BUILD, rel)], env=dict(base, **env),
                                      stdout=log, stderr=log))
    try:
        wait_ready(ports["http"])
        wait_ready(ports["http_en"])
        negotiation(ports["http"])
        english_default(ports["http_en"])
        relayed(ports["http"])
        idempotency_key(ports["http"])
        two_field_lines(ports["http"])
        stream_headers(ports["http"])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    if FAILS:
        print("lang: %d failures" % len(FAILS), file=sys.stderr)
        print_logs("lang", tmp)
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("lang: ?lang=, Accept-Language and the default chose every problem document's "
          "language, also the calendar's and the impact-calculator's refusals for two buyers")


if __name__ == "__main__":
    main()
