#!/usr/bin/python3
"""Submits one message to Herald over STARTTLS with AUTH (Python smtplib) and prints the queue
id from Herald's "250 2.0.0 Ok: queued as <id>" reply.

Usage: delivery_send.py [--file MESSAGE] PORT USER PASSWORD FROM SUBJECT TO [TO...]
The message's From header is FROM; To lists every recipient. With --file, MESSAGE (CRLF line
ends) is sent as it is instead (SUBJECT unused). Exit 1 with the reason on failure.
"""
import email.utils
import re
import smtplib
import ssl
import sys


def main():
    args = sys.argv[1:]
    raw = None
    if args[:1] == ["--file"]:
        raw = open(args[1], "rb").read()
        args = args[2:]
    if len(args) < 6:
        sys.exit(__doc__)
    port, user, password, sender, subject = args[:5]
    rcpts = args[5:]
    msg = (
        f"From: {sender}\r\nTo: {', '.join(rcpts)}\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.formatdate()}\r\nMessage-ID: {email.utils.make_msgid('dtest')}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Body of {subject}.\r\nA second line.\r\n"
    ).encode()
    if raw is not None:
        msg = raw
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with smtplib.SMTP("127.0.0.1", int(port), timeout=20) as s:
            s.starttls(context=ctx)
            s.login(user, password)
            # 8-bit content is announced as RFC 6152 asks (Herald refuses it otherwise).
            code, text = s.mail(sender, ["BODY=8BITMIME"] if max(msg) >= 0x80 else [])
            if code != 250:
                sys.exit(f"MAIL FROM refused: {code} {text!r}")
            for r in rcpts:
                code, text = s.rcpt(r)
                if code not in (250, 251):
                    sys.exit(f"RCPT TO:<{r}> refused: {code} {text!r}")
            code, text = s.data(msg)
            if code != 250:
                sys.exit(f"DATA refused: {code} {text!r}")
    except (smtplib.SMTPException, OSError) as e:
        sys.exit(f"submission failed: {type(e).__name__}: {e}")
    m = re.search(rb"queued as (\S+)", text)
    if not m:
        sys.exit(f"no queue id in the reply: {text!r}")
    print(m.group(1).decode())


if __name__ == "__main__":
    main()
