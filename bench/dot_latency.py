#!/usr/bin/env python3
"""dot_latency.py - smtp_load.py from the shared harness, timing only the end of DATA.

Usage:
  dot_latency.py --shared DIR [--stop-file PATH] [any smtp_load.py option ...]

Runs DIR/smtp_load.py unchanged (same sessions, messages, TLS, AUTH, output format), except
that the latency of a message is the time from writing the final "." of DATA to reading the
250 reply: the time a server takes to accept a message durably, without the MAIL, RCPT and
DATA round trips or connection setup that smtp_load.py's own p50/p99 include. So the RESULT
line's p50_ms/p99_ms are "." -> 250 times. Measured on the client: under load they also
include the client's own event-loop delay, so they are an upper bound of the server's time.

--stop-file PATH: the sessions stop (after their current message, then QUIT) once PATH
exists, as if --max-seconds had passed: a probe that runs exactly as long as another load.
"""
import importlib.util
import os
import sys
import time


def load_smtp_load(shared):
    path = os.path.join(shared, "smtp_load.py")
    spec = importlib.util.spec_from_file_location("smtp_load", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["smtp_load"] = mod
    spec.loader.exec_module(mod)
    return mod


def patch(mod):
    orig_cmd, orig_send = mod.Session.cmd, mod.Session.send

    async def cmd(self, line, ok, label=None):
        if label != "end-of-data":
            return await orig_cmd(self, line, ok, label)
        # send() wrote header + body + ".\r\n" just before this call, with no await between.
        t_dot = time.perf_counter()
        try:
            return await orig_cmd(self, line, ok, label)
        finally:
            self.dot_latency = time.perf_counter() - t_dot

    async def send(self, seq, body, t0):
        await orig_send(self, seq, body, t0)
        return self.dot_latency

    mod.Session.cmd, mod.Session.send = cmd, send


class StopFileClock:
    """smtp_load.py's `time`, except that monotonic() jumps past any deadline once the file exists."""

    def __init__(self, path):
        self.path = path

    def __getattr__(self, name):
        return getattr(time, name)

    def monotonic(self):
        return float("inf") if os.path.exists(self.path) else time.monotonic()


def take_option(args, name):
    if name not in args:
        return None
    i = args.index(name)
    if i + 1 >= len(args):
        sys.exit("%s needs a value" % name)
    value = args[i + 1]
    del args[i:i + 2]
    return value


def main():
    args = sys.argv[1:]
    shared = take_option(args, "--shared")
    if shared is None:
        sys.exit("usage: dot_latency.py --shared DIR [--stop-file PATH] [smtp_load.py options]")
    stop_file = take_option(args, "--stop-file")
    mod = load_smtp_load(shared)
    patch(mod)
    if stop_file:
        mod.time = StopFileClock(stop_file)
    sys.argv = [os.path.join(shared, "smtp_load.py")] + args
    return mod.main()


if __name__ == "__main__":
    sys.exit(main())
