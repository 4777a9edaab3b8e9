#!/usr/bin/python3
"""Verifies the DKIM signature of a received message with Debian's python3-dkim, fetching the
public key over DNS from the test's DNS server (dnsmasq, which publishes the record that
`herald domain show --json` asks for).

Usage: delivery_dkim_verify.py MESSAGE_FILE DNS_PORT
Prints "pass d=<domain> s=<selector>" and exits 0 when the signature verifies; prints the
reason and exits 1 otherwise.
"""
import sys

import dkim
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def main():
    path, port = sys.argv[1], int(sys.argv[2])
    message = open(path, "rb").read()

    def dnsfunc(name, timeout=5):
        qname = name.decode() if isinstance(name, bytes) else name
        reply = dns.query.udp(dns.message.make_query(qname, "TXT"), "127.0.0.1", port=port,
                              timeout=timeout)
        if reply.rcode() != dns.rcode.NOERROR:
            return None
        for rrset in reply.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                for rd in rrset:
                    return b"".join(rd.strings)
        return None

    logger_lines = []

    class Log:
        def debug(self, *a):
            logger_lines.append(a[0] % a[1:] if len(a) > 1 else str(a[0]))

        info = warning = error = debug

    sigs = [line for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            if line.lower().startswith(b"dkim-signature:")]
    if not sigs:
        print("fail: no DKIM-Signature header")
        sys.exit(1)
    d = dkim.DKIM(message, logger=Log())
    try:
        ok = d.verify(dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        print(f"fail: {type(e).__name__}: {e}")
        sys.exit(1)
    if not ok:
        print("fail: signature does not verify; " + " | ".join(logger_lines[-5:]))
        sys.exit(1)
    print(f"pass d={d.domain.decode()} s={d.selector.decode()}")


if __name__ == "__main__":
    main()
