#!/usr/bin/python3
"""queue_fill.py - submits MESSAGES messages with RCPTS recipients each over STARTTLS + AUTH
PLAIN, spread over SESSIONS parallel sessions (threads, smtplib, one session per thread reused
for its share). Recipients are distinct: u<message>.<i>@d<i mod DOMAINS>.test.

Usage: queue_fill.py --port P --auth USER:PASS --from ADDR --messages 1000 --rcpts 100
                     [--sessions 4] [--domains 10] [--host 127.0.0.1] [--size 2048]
Last line: "RESULT sent=N rcpts=M errors=E secs=S". Exit status 0 when every message was
accepted with all its recipients. Loopback only (it fills the queue of a server you run).
"""
import argparse
import smtplib
import ssl
import sys
import threading
import time


def worker(a, first, count, totals, lock):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the benchmark's throw-away certificate
    user, password = a.auth.split(":", 1)
    sent = errors = 0
    body = ("x" * 76 + "\r\n") * max(1, a.size // 78)
    try:
        with smtplib.SMTP(a.host, a.port, timeout=60) as s:
            s.starttls(context=ctx)
            s.login(user, password)
            for m in range(first, first + count):
                rcpts = [f"u{m}.{i}@d{i % a.domains}.test" for i in range(a.rcpts)]
                msg = (f"From: <{a.mail_from}>\r\nTo: <{rcpts[0]}>\r\nSubject: queue fill {m}\r\n"
                       f"Message-ID: <fill.{m}@queue-fill.test>\r\n\r\n{body}")
                try:
                    refused = s.sendmail(a.mail_from, rcpts, msg)
                    if refused:
                        errors += 1
                    else:
                        sent += 1
                except smtplib.SMTPException as e:
                    errors += 1
                    print(f"message {m}: {e}", file=sys.stderr)
    except (OSError, smtplib.SMTPException) as e:
        print(f"session for messages {first}..{first + count - 1}: {e}", file=sys.stderr)
        errors += count - sent
    with lock:
        totals[0] += sent
        totals[1] += errors


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--auth", required=True, help="USER:PASS")
    p.add_argument("--from", dest="mail_from", required=True)
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--rcpts", type=int, default=100)
    p.add_argument("--sessions", type=int, default=4)
    p.add_argument("--domains", type=int, default=10)
    p.add_argument("--size", type=int, default=2048)
    a = p.parse_args()
    if not (a.host.startswith("127.") or a.host == "localhost"):
        sys.exit(f"refusing non-loopback host {a.host}")
    totals, lock, threads = [0, 0], threading.Lock(), []
    per, extra = divmod(a.messages, a.sessions)
    first, t0 = 0, time.monotonic()
    for i in range(a.sessions):
        n = per + (1 if i < extra else 0)
        if n == 0:
            continue
        t = threading.Thread(target=worker, args=(a, first, n, totals, lock))
        t.start()
        threads.append(t)
        first += n
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    print(f"RESULT sent={totals[0]} rcpts={totals[0] * a.rcpts} errors={totals[1]} secs={secs:.1f}")
    return 0 if totals[1] == 0 and totals[0] == a.messages else 1


if __name__ == "__main__":
    sys.exit(main())
