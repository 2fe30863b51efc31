#!/usr/bin/python3
"""Prints the text part of the .eml files in DIR of one kind (X-MVOI-Kind) to one address
(To:), each followed by a line "=====", so a test can read what the recipient reads. DIR
may also be a relay's Maildir (the messages in DIR/new, whatever their names).
Usage: nt_text.py DIR KIND ADDRESS"""
import email
import email.policy
import os
import sys

d, kind, rcpt = sys.argv[1:4]
maildir = os.path.isdir(os.path.join(d, "new"))
if maildir:
    d = os.path.join(d, "new")
for f in sorted(os.listdir(d)):
    if not maildir and not f.endswith(".eml"):
        continue
    with open(os.path.join(d, f), "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
    if m["X-MVOI-Kind"] != kind or rcpt not in [a.addr_spec for a in m["To"].addresses]:
        continue
    print(m.get_body(("plain",)).get_content())
    print("=====")
