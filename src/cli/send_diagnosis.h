// Plain-words diagnosis for `herald send` when the chosen encryption does not match what the
// port speaks. The classic mistake (the one Nextcloud's "Send email" button turns into a raw
// TLS error) is SSL/TLS on a STARTTLS port or the reverse: STARTTLS belongs on 25/587 (and 80
// at some hosters), implicit TLS ("SSL/TLS", RFC 8314 section 3.3) on 465.
//
// Everything here is pure: the client records what it saw (the server's first bytes, whether
// a greeting came, the TLS error text) and these functions turn it into advice. Invariant:
// every message names the port and, when a mismatch is recognised, the --encryption to use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::cli::send {

enum class Encryption { none, starttls, ssl };

// "none", "starttls", "ssl"; nullopt for anything else.
std::optional<Encryption> parse_encryption(std::string_view text);
std::string_view to_string(Encryption e);

// The port conventionally used with an encryption mode (RFC 8314 section 3.3, RFC 6409).
std::uint16_t default_port(Encryption e);

// Advice printed as a "* warning:" note before connecting when the port is not the one the
// mode usually runs on; nullopt when the combination is conventional or unremarkable.
std::optional<std::string> port_advice(Encryption e, std::uint16_t port);

// What the first bytes a server sent look like.
enum class Speaks {
  nothing,        // no bytes at all
  smtp,           // a reply line: three digits then ' ', '-' or end ("220 mx ESMTP")
  tls,            // a TLS record: handshake (0x16) or alert (0x15), version major 3
  something_else  // anything else (HTTP, SSH, binary noise)
};
Speaks classify_first_bytes(std::string_view bytes);

// What the client observed up to the failure it wants explained.
struct ConnectObservation {
  Encryption encryption = Encryption::none;
  std::uint16_t port = 0;
  // The first bytes the server sent on this connection (the client keeps up to 64), whether
  // they came before or in answer to a TLS handshake.
  std::string first_bytes;
  // none/starttls: no complete greeting line arrived within greeting_wait.
  bool greeting_timed_out = false;
  std::chrono::seconds greeting_wait{0};
  // none/starttls after a silent server: the client tried a TLS handshake on the connection
  // to find out whether the port speaks implicit TLS.
  bool tls_probe_sent = false;
  // ssl: OpenSSL's reason for the failed handshake, e.g. "wrong version number"; empty if the
  // handshake did not fail.
  std::string tls_error;
};

// The explanation of an encryption/port mismatch or a port that does not speak SMTP, in plain
// words with the setting to use; nullopt when the observation shows no such problem (the
// caller then reports the underlying error as it is).
std::optional<std::string> diagnose_connection(const ConnectObservation& o);

// A printable rendering of a few raw bytes for messages: printable ASCII as is, the rest as
// \xNN, cut at the first line end.
std::string printable_prefix(std::string_view bytes, std::size_t max_chars = 40);

// The certificate verification failure (an X509_V_ERR_* code) in plain words, with the way
// out: --cafile for a private CA or self-signed certificate, --insecure for a test setup.
std::string describe_verify_failure(long x509_error, std::string_view host);

}  // namespace herald::cli::send
