#!/usr/bin/env python3
"""Sends N messages concurrently (one SMTP_SSL connection each) and SIGKILLs the server right
after the K-th "250 ... queued as <id>" reply, from the thread that received it.

Usage: durability_send.py PORT SENDER PASSWORD N WORKERS KILL_AFTER SERVER_PID PREFIX OUT
Writes "<subject> <queue id>" to OUT for every message that got its 250 (acknowledged), and
prints a summary. Messages in flight when the server dies fail; that is expected.
Exit status 0 when the kill happened (at least KILL_AFTER acknowledgements were seen; a few
more can be read after it when the server wrote them just before dying), 1 otherwise.
"""
import os
import re
import signal
import smtplib
import ssl
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

port, sender, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n, workers, kill_after, server_pid = (int(x) for x in sys.argv[4:8])
prefix, out_path = sys.argv[8], sys.argv[9]

lock = threading.Lock()
acked = []          # (subject, queue id), in the order the 250s arrived
failures = []       # (subject, error) for messages without a 250
killed = threading.Event()
ctx = ssl._create_unverified_context()


def send(i):
    subject = f"{prefix} {i:03d}"
    try:
        with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=30) as s:
            s.login(sender, password)
            code, _ = s.mail(sender)
            if code != 250:
                raise smtplib.SMTPException(f"MAIL {code}")
            code, _ = s.rcpt("bob@example.org")
            if code != 250:
                raise smtplib.SMTPException(f"RCPT {code}")
            code, reply = s.data(f"From: {sender}\r\nTo: bob@example.org\r\nSubject: {subject}\r\n"
                                 f"\r\nDurability test message {i}.\r\n".encode())
            if code != 250:
                raise smtplib.SMTPException(f"DATA {code} {reply!r}")
            m = re.search(rb"queued as (\S+)", reply)
            if not m:
                raise smtplib.SMTPException(f"250 without a queue id: {reply!r}")
            with lock:
                # A 250 read after the kill was written before it: it counts like any other.
                acked.append((subject, m.group(1).decode()))
                if len(acked) == kill_after:
                    os.kill(server_pid, signal.SIGKILL)
                    killed.set()
    except Exception as e:  # the server died under us, or refused: not acknowledged
        with lock:
            failures.append((subject, f"{type(e).__name__}: {e}"))


with ThreadPoolExecutor(max_workers=workers) as pool:
    list(pool.map(send, range(n)))

with open(out_path, "w") as f:
    for subject, qid in acked:
        f.write(f"{subject}\t{qid}\n")
print(f"{len(acked)} acknowledged, {len(failures)} not; killed after ack #{kill_after}: "
      f"{killed.is_set()}")
for subject, err in failures[:5]:
    print(f"  not acknowledged: {subject}: {err}")
sys.exit(0 if killed.is_set() and len(acked) >= kill_after else 1)
