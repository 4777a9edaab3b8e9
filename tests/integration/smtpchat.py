#!/usr/bin/env python3
"""Scripted SMTP dialog against a live server, for checks no real client can express exactly
(reply codes of refused commands, timeouts, limits).

Usage: smtpchat.py PORT plain|implicit STEP...

Steps (run in order; the transcript is printed as it goes, with seconds since the start):
  expect:PREFIX        read one reply (all its lines); its first line must start with PREFIX
  contains:TEXT        the last reply contains TEXT
  lacks:TEXT           the last reply does not contain TEXT
  send:LINE            send LINE + CRLF
  starttls             TLS handshake on the connection (certificate not verified)
  authplain:USER:PASS  send AUTH PLAIN with the initial response for USER/PASS
  message:FROM:SUBJECT[:BYTES]  send a message (From header FROM, BYTES of body) and the dot
  timeout:SECONDS      read timeout of later steps (default 10)
  sleep:SECONDS        wait
  touch:PATH           create PATH (tells a test this session is established)
  waitfile:PATH        wait (up to the read timeout) until PATH exists
  noopwait:PATH        the same, sending NOOP (expecting 250) every 0.5 s to stay clear of
                       the server's idle timeout
  mark                 remember the time
  within:LO:HI         seconds since the last mark are in [LO, HI]
  closed:SECONDS       the server closes the connection within SECONDS (no more replies)

Exit status 0 when every step held; otherwise 1 with "expected ... got ..." on stderr.
"""
import base64
import os
import socket
import ssl
import sys
import time

START = time.monotonic()


def say(direction, text):
    print(f"[{time.monotonic() - START:6.2f}] {direction} {text}", flush=True)


def die(msg):
    print(f"smtpchat: FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


class Conn:
    def __init__(self, port, implicit):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.timeout = 10.0
        if implicit:
            self.wrap()

    def wrap(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="mail.herald.test")
        say("--", f"TLS established ({self.sock.version()})")

    def send(self, data, shown=None):
        say("C:", shown if shown is not None else data.decode(errors="replace").rstrip("\r\n"))
        self.sock.sendall(data)

    def read_line(self, deadline):
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def read_reply(self):
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            line = self.read_line(deadline)
            say("S:", line)
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return "\n".join(lines)


def message_bytes(sender, subject, size):
    """A message whose body is about `size` octets of 78-octet lines."""
    head = (f"From: <{sender}>\r\nTo: <bob@example.org>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@smtpchat>\r\n\r\n")
    body = (b"x" * 76 + b"\r\n") * max(1, size // 78)
    return head.encode() + body + b".\r\n"


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("plain", "implicit"):
        die(__doc__)
    port, implicit = int(sys.argv[1]), sys.argv[2] == "implicit"
    say("--", f"connect 127.0.0.1:{port} ({sys.argv[2]})")
    try:
        conn = Conn(port, implicit)
    except (OSError, ssl.SSLError) as e:
        die(f"cannot connect to 127.0.0.1:{port}: {e}")
    last = ""
    mark = time.monotonic()
    for step in sys.argv[3:]:
        verb, _, arg = step.partition(":")
        try:
            if verb == "expect":
                try:
                    last = conn.read_reply()
                except TimeoutError:
                    die(f"expected a reply starting with {arg!r}, got nothing within "
                        f"{conn.timeout} s")
                except (EOFError, ConnectionResetError):
                    die(f"expected a reply starting with {arg!r}, got the connection closed")
                if not last.startswith(arg):
                    die(f"expected a reply starting with {arg!r}, got {last!r}")
            elif verb == "contains":
                if arg not in last:
                    die(f"expected the reply to contain {arg!r}, got {last!r}")
            elif verb == "lacks":
                if arg in last:
                    die(f"expected the reply NOT to contain {arg!r}, got {last!r}")
            elif verb == "send":
                conn.send(arg.encode() + b"\r\n")
            elif verb == "starttls":
                conn.wrap()
            elif verb == "authplain":
                user, _, password = arg.partition(":")
                token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
                conn.send(f"AUTH PLAIN {token}\r\n".encode(), f"AUTH PLAIN <{user}:{password}>")
            elif verb == "message":
                parts = arg.split(":")
                size = int(parts[2]) if len(parts) > 2 else 64
                data = message_bytes(parts[0], parts[1], size)
                conn.send(data, f"<message From {parts[0]}, Subject {parts[1]}, "
                                f"{len(data)} octets, then .>")
            elif verb == "timeout":
                conn.timeout = float(arg)
            elif verb == "sleep":
                time.sleep(float(arg))
            elif verb == "touch":
                open(arg, "w").close()
            elif verb == "waitfile":
                deadline = time.monotonic() + conn.timeout
                while not os.path.exists(arg):
                    if time.monotonic() > deadline:
                        die(f"{arg} did not appear within {conn.timeout} s")
                    time.sleep(0.05)
            elif verb == "noopwait":
                deadline = time.monotonic() + conn.timeout
                while not os.path.exists(arg):
                    if time.monotonic() > deadline:
                        die(f"{arg} did not appear within {conn.timeout} s")
                    conn.send(b"NOOP\r\n")
                    last = conn.read_reply()
                    if not last.startswith("250"):
                        die(f"expected 250 to NOOP, got {last!r}")
                    time.sleep(0.5)
            elif verb == "mark":
                mark = time.monotonic()
            elif verb == "within":
                lo, hi = (float(x) for x in arg.split(":"))
                took = time.monotonic() - mark
                say("--", f"{took:.2f} s since mark")
                if not lo <= took <= hi:
                    die(f"expected {lo}..{hi} s since the mark, took {took:.2f} s")
            elif verb == "closed":
                deadline = time.monotonic() + float(arg)
                try:
                    extra = conn.read_line(deadline)
                    die(f"expected the connection closed within {arg} s, got {extra!r}")
                except TimeoutError:
                    die(f"expected the connection closed within {arg} s; it is still open")
                except (EOFError, ConnectionResetError, ssl.SSLError):
                    say("--", "connection closed by the server")
            else:
                die(f"unknown step {step!r}")
        except (OSError, ssl.SSLError) as e:
            if isinstance(e, (TimeoutError, ConnectionResetError)) and verb == "closed":
                continue
            die(f"step {step!r}: {type(e).__name__}: {e}")
    try:
        conn.sock.close()
    except OSError:
        pass


if __name__ == "__main__":
    main()
