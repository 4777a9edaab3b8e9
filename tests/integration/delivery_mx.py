#!/usr/bin/python3
"""Scripted receiving MTAs for the delivery integration tests (tests/integration/test_delivery_*).

One process serves every listener of a test, as described by a JSON file:

  {
    "dir": "/path/to/mx",            # output root: one folder per listener (see below)
    "port": 25,                      # port of every listener without its own "port"; when
                                     # any of them cannot bind it, all move to one free port
    "cert": "cert.pem", "key": "key.pem",   # for STARTTLS (listeners with "starttls": true)
    "listeners": [
      {"name": "mx1", "addr": "127.0.11.1", "mode": "smtp", "starttls": true,
       "rcpt": {"bob@a.test": ["451 4.3.0 try later", "250 2.1.5 Ok"], "*": ["250 2.1.5 Ok"]},
       "data": ["250 2.0.0 Ok"], "rcpt_delay": 0},
      {"name": "bad", "addr": "127.0.11.2", "mode": "drop_mid_data"}
    ]
  }

"addr" is an IPv4 or IPv6 literal ("::1"); the port fallback applies to both alike.

Modes:
  smtp            aiosmtpd server; PIPELINING, 8BITMIME, SMTPUTF8 and (with "starttls") STARTTLS.
                  "rcpt": scripted RCPT replies by recipient (lower case) or "*": the n-th RCPT
                  for that address gets entry n (the last one repeats), so ["451 ...", "250 ..."]
                  is "first attempt deferred, then accepted". "data": the same for the reply at
                  the end of DATA, counted per listener. "rcpt_delay": seconds to wait before
                  answering each RCPT (to act while a delivery is in flight). "idle_timeout":
                  seconds of client silence after which the server closes the connection
                  (without a word, as aiosmtpd does). "auth": {"user": ..., "password": ...,
                  "exclude": ["PLAIN"]} makes the listener a relay that requires SMTP AUTH
                  (offered only after STARTTLS, so it needs "starttls"; MAIL before AUTH gets
                  530); "exclude" hides mechanisms. Each attempt is logged to commands.log as
                  "AUTH <mechanism> user=<login> -> ok|failed" (never the password).
  close_at_banner accepts the connection and closes it without a word.
  banner          sends the line in "banner" (e.g. "421 4.3.2 busy") and closes.
  garbage_banner  sends bytes that are not an SMTP reply instead of the 220 greeting.
  silent          accepts the connection and never answers (held until the peer closes).
  garbage_ehlo    220 greeting, then garbage as the reply to EHLO.
  drop_mid_data   a plain SMTP dialog up to 354, then closes after the first message line.
  tls_fail        offers STARTTLS, answers 220 to it, reads the client's first TLS bytes, then
                  sends plain text instead of a ServerHello and closes.
  tls_inject      offers STARTTLS and sends a second (injected) reply right behind its 220.

Output, per listener <dir>/<name>/:
  connections.log  one line per accepted connection ("connect <peer ip>"), and in mode smtp
                   one when it ends ("disconnect")
  commands.log     every command line received (plain-text ones; DATA lines are not logged)
  new/<n>.eml      each accepted message as received (maildir style: written in tmp/, then
                   renamed), with new/<n>.json beside it, written first:
                   {"mail_from", "rcpt_tos", "helo", "tls" (cipher tuple or null), "peer",
                    "auth_user" (the authenticated login, or null)}
When every listener is bound, <dir>/ready is written: {"port": <the shared port>}.
Stops on SIGTERM/SIGINT.
"""
import asyncio
import json
import os
import signal
import socket
import ssl
import sys
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

MAX_WAIT = 600  # no connection is held longer than this (bounded cleanup)


class Listener:
    def __init__(self, spec, root):
        self.spec = spec
        self.name = spec["name"]
        self.dir = Path(root) / self.name
        for sub in ("tmp", "new"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.rcpt_counts = {}
        self.data_count = 0
        self.seq = 0

    def log(self, file, line):
        with open(self.dir / file, "a", encoding="utf-8", errors="replace") as f:
            f.write(line.rstrip("\r\n") + "\n")

    def scripted(self, table, key, count):
        replies = table.get(key) or table.get("*")
        if not replies:
            return None
        return replies[min(count, len(replies) - 1)]

    def rcpt_reply(self, address):
        key = address.lower()
        n = self.rcpt_counts.get(key, 0)
        self.rcpt_counts[key] = n + 1
        return self.scripted(self.spec.get("rcpt", {}), key, n) or "250 2.1.5 Ok"

    def data_reply(self):
        n = self.data_count
        self.data_count += 1
        replies = self.spec.get("data") or ["250 2.0.0 Ok: delivered"]
        return replies[min(n, len(replies) - 1)]

    def store(self, envelope, session):
        self.seq += 1
        base = f"{self.seq:04d}"
        meta = {
            # aiosmtpd gives the null reverse-path as "<>": recorded as "" (no address).
            "mail_from": "" if envelope.mail_from == "<>" else envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "helo": session.host_name,
            "tls": list(session.ssl["cipher"]) if session.ssl and session.ssl.get("cipher") else None,
            "peer": session.peer[0] if session.peer else None,
            "auth_user": auth_login(session),
        }
        for ext, data in ((".json", json.dumps(meta).encode()), (".eml", envelope.original_content)):
            tmp = self.dir / "tmp" / (base + ext)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, self.dir / "new" / (base + ext))


def auth_login(session):
    data = getattr(session, "auth_data", None) if session.authenticated else None
    return data.login.decode("utf-8", "replace") if data is not None else None


def authenticator_for(listener):
    """aiosmtpd authenticator checking the listener's "auth" user and password."""
    want = listener.spec["auth"]

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode("utf-8", "replace") == want["user"]
              and auth_data.password.decode("utf-8", "replace") == want["password"])
        login = auth_data.login.decode("utf-8", "replace") if isinstance(
            auth_data, LoginPassword) else "?"
        listener.log("commands.log", f"AUTH {mechanism} user={login} -> {'ok' if ok else 'failed'}")
        return AuthResult(success=ok, auth_data=auth_data if ok else None, handled=False)

    return authenticate


class Handler:
    """aiosmtpd hooks for mode "smtp"."""

    def __init__(self, listener):
        self.l = listener

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.l.log("commands.log", f"EHLO {hostname}")
        session.host_name = hostname
        # Advertise PIPELINING like real MTAs (aiosmtpd reads commands in order anyway).
        return responses[:1] + ["250-PIPELINING"] + responses[1:]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.l.log("commands.log", f"MAIL FROM:<{address}> {' '.join(mail_options)}")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.l.rcpt_reply(address)
        delay = self.l.spec.get("rcpt_delay", 0)
        if delay:
            self.l.log("commands.log", f"RCPT TO:<{address}> (answer in {delay} s)")
            await asyncio.sleep(delay)
        self.l.log("commands.log", f"RCPT TO:<{address}> -> {reply}")
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_QUIT(self, server, session, envelope):
        self.l.log("commands.log", "QUIT")
        return "221 2.0.0 Bye"

    async def handle_DATA(self, server, session, envelope):
        reply = self.l.data_reply()
        self.l.log("commands.log", f"DATA ({len(envelope.original_content)} bytes) -> {reply}")
        if reply.startswith("2"):
            self.l.store(envelope, session)
        return reply


class ScriptedSMTP(SMTP):
    """aiosmtpd's server, logging each new connection (not the STARTTLS re-entry)."""

    def __init__(self, listener, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.listener = listener

    def connection_made(self, transport):
        if self._original_transport is None and self.transport is None:
            peer = transport.get_extra_info("peername")
            self.listener.log("connections.log", f"connect {peer[0] if peer else '?'}")
        super().connection_made(transport)

    def connection_lost(self, exc):
        self.listener.log("connections.log", "disconnect")
        super().connection_lost(exc)


async def read_line(reader):
    try:
        return await asyncio.wait_for(reader.readline(), MAX_WAIT)
    except (asyncio.TimeoutError, ConnectionError):
        return b""


async def drain_until_close(reader):
    try:
        while await asyncio.wait_for(reader.read(65536), MAX_WAIT):
            pass
    except (asyncio.TimeoutError, ConnectionError):
        pass


async def raw_session(listener, reader, writer):
    """The misbehaving modes, written by hand so every byte is under the test's control."""
    mode = listener.spec["mode"]
    peer = writer.get_extra_info("peername")
    listener.log("connections.log", f"connect {peer[0] if peer else '?'}")

    def say(text):
        writer.write(text.encode() if isinstance(text, str) else text)

    try:
        if mode == "close_at_banner":
            return
        if mode == "banner":
            say(listener.spec["banner"] + "\r\n")
            await writer.drain()
            await asyncio.sleep(0.2)
            return
        if mode == "garbage_banner":
            say(b"\x00\x16\x03garbage instead of a greeting\r\nhello?\r\n")
            await writer.drain()
            await drain_until_close(reader)
            return
        if mode == "silent":
            await drain_until_close(reader)
            return
        say("220 mx.test ESMTP scripted\r\n")
        await writer.drain()
        while True:
            line = await read_line(reader)
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            listener.log("commands.log", text)
            verb = text.split(" ", 1)[0].upper()
            if verb == "QUIT":
                say("221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            if mode == "garbage_ehlo" and verb in ("EHLO", "HELO"):
                say(b"this is not an SMTP reply\r\n\xff\xfe\r\n")
            elif mode in ("tls_fail", "tls_inject") and verb == "EHLO":
                say("250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            elif mode == "tls_fail" and verb == "STARTTLS":
                say("220 2.0.0 Ready to start TLS\r\n")
                await writer.drain()
                hello = await asyncio.wait_for(reader.read(5), 30)  # the ClientHello's header
                listener.log("commands.log", f"(got {len(hello)} bytes of TLS, answering text)")
                say(b"this is plain text, not a TLS ServerHello\r\n" * 4)
                await writer.drain()
                await asyncio.sleep(0.2)
                return
            elif mode == "tls_inject" and verb == "STARTTLS":
                # RFC 3207 §4.2 / CVE-2011-0411 style: plain text right behind the 220.
                say("220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected reply\r\n")
                await writer.drain()
                await drain_until_close(reader)
                return
            elif verb in ("EHLO", "HELO"):
                say("250 mx.test\r\n")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 2.0.0 Ok\r\n")
            elif verb == "DATA" and mode == "drop_mid_data":
                say("354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                await read_line(reader)  # the first line of the message, then hang up
                listener.log("commands.log", "(closed in the middle of DATA)")
                return
            else:
                say("502 5.5.2 Not implemented\r\n")
            await writer.drain()
    finally:
        try:
            writer.close()
        except Exception:
            pass


def tls_context(config):
    if not config.get("cert"):
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(config["cert"], config["key"])
    return ctx


async def bind_all(config, listeners, loop):
    ctx = tls_context(config)
    port = config.get("port", 25)
    for attempt in range(20):
        servers = []
        try:
            for l in listeners:
                p = l.spec.get("port", port)
                if l.spec["mode"] == "smtp":
                    def factory(l=l):
                        auth = l.spec.get("auth")
                        auth_args = dict(
                            authenticator=authenticator_for(l), auth_required=True,
                            auth_require_tls=True,
                            auth_exclude_mechanism=auth.get("exclude", [])) if auth else {}
                        return ScriptedSMTP(l, Handler(l), hostname=f"{l.name}.mx.test",
                                            **auth_args,
                                            ident="scripted",
                                            tls_context=ctx if l.spec.get("starttls") else None,
                                            enable_SMTPUTF8=True, decode_data=False,
                                            timeout=l.spec.get("idle_timeout", MAX_WAIT),
                                            loop=loop)
                    srv = await loop.create_server(factory, l.spec["addr"], p, reuse_address=True)
                    servers.append(srv)
                else:
                    srv = await asyncio.start_server(
                        lambda r, w, l=l: raw_session(l, r, w), l.spec["addr"], p,
                        reuse_address=True)
                    servers.append(srv)
            return servers, port
        except OSError as e:
            for s in servers:
                s.close()
            print(f"delivery_mx: cannot bind port {port} ({e}); trying another", file=sys.stderr)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
    raise SystemExit("delivery_mx: no port could be bound on every listener address")


def main():
    config = json.load(open(sys.argv[1]))
    root = Path(config["dir"])
    root.mkdir(parents=True, exist_ok=True)
    listeners = [Listener(spec, root) for spec in config["listeners"]]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    servers, port = loop.run_until_complete(bind_all(config, listeners, loop))
    tmp = root / "ready.tmp"
    tmp.write_text(json.dumps({"port": port}))
    os.rename(tmp, root / "ready")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    for s in servers:
        s.close()


if __name__ == "__main__":
    main()
