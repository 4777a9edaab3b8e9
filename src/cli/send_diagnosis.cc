#include "cli/send_diagnosis.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace herald::cli::send {

namespace {

// STARTTLS submission/relay ports: 25 (RFC 5321), 587 (RFC 6409), 80 and 2525 (hosters'
// alternatives for networks that block 25/587).
bool is_starttls_port(std::uint16_t port) {
  return port == 25 || port == 80 || port == 587 || port == 2525;
}

constexpr std::uint16_t kImplicitTlsPort = 465;  // RFC 8314 section 7.3

bool contains_ci(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// OpenSSL's reasons when the bytes it got are not a TLS record at all, i.e. the peer speaks
// something else (plain SMTP answers "220 ..." which parses as a bogus record header).
bool is_not_tls_error(std::string_view error) {
  static constexpr std::array<std::string_view, 5> kReasons = {
      "wrong version number", "packet length too long", "record layer failure", "unknown protocol",
      "http request"};
  return std::any_of(kReasons.begin(), kReasons.end(),
                     [&](std::string_view r) { return contains_ci(error, r); });
}

std::string port_text(std::uint16_t port) {
  return "port " + std::to_string(port);
}

std::string implicit_tls_expected(const ConnectObservation& o, std::string_view what) {
  std::string spoken = o.encryption == Encryption::starttls ? "STARTTLS" : "plain text";
  return port_text(o.port) + " " + std::string(what) +
         ": it expects implicit TLS (SSL/TLS, usually port 465), not " + spoken +
         ". Use --encryption ssl.";
}

std::string not_smtp(const ConnectObservation& o) {
  return port_text(o.port) + " does not answer like an SMTP server (it sent \"" +
         printable_prefix(o.first_bytes) + "\"): check --host and --port.";
}

std::optional<std::string> diagnose_ssl(const ConnectObservation& o, Speaks kind) {
  if (o.tls_error.empty()) return std::nullopt;
  std::string fix =
      ": it expects STARTTLS (or no encryption), not SSL/TLS. "
      "Use --encryption starttls.";
  switch (kind) {
    case Speaks::smtp:
      return port_text(o.port) + " answers in plain text (\"" + printable_prefix(o.first_bytes) +
             "\")" + fix;
    case Speaks::something_else:
      return not_smtp(o);
    case Speaks::nothing:
      if (is_not_tls_error(o.tls_error))
        return port_text(o.port) + " did not answer with TLS (" + o.tls_error +
               "): it probably speaks plain SMTP" + fix;
      return std::nullopt;
    case Speaks::tls:
      return std::nullopt;  // a genuine TLS problem (version, cipher, certificate)
  }
  return std::nullopt;
}

std::optional<std::string> diagnose_plain(const ConnectObservation& o, Speaks kind) {
  std::string wait = std::to_string(o.greeting_wait.count()) + " s";
  switch (kind) {
    case Speaks::tls:
      return implicit_tls_expected(o, o.tls_probe_sent
                                          ? "sent no SMTP greeting but answers a TLS handshake"
                                          : "answered with TLS data instead of an SMTP greeting");
    case Speaks::something_else:
      return not_smtp(o);
    case Speaks::smtp:
      if (o.greeting_timed_out && o.tls_probe_sent)
        return port_text(o.port) + " sent its SMTP greeting only after more than " + wait +
               ": the server is slow; try again with a larger --timeout.";
      return std::nullopt;
    case Speaks::nothing:
      if (!o.greeting_timed_out) return std::nullopt;
      if (o.tls_probe_sent)
        return port_text(o.port) + " sent no SMTP greeting within " + wait +
               " and did not answer a TLS handshake either: the server may be overloaded or "
               "a firewall may be swallowing the traffic. If the port expects implicit TLS "
               "(SSL/TLS, usually port 465), use --encryption ssl.";
      return implicit_tls_expected(o, "sent no SMTP greeting within " + wait) +
             " (Or, if the server is just slow, a larger --timeout.)";
  }
  return std::nullopt;
}

}  // namespace

std::optional<Encryption> parse_encryption(std::string_view text) {
  if (text == "none") return Encryption::none;
  if (text == "starttls") return Encryption::starttls;
  if (text == "ssl") return Encryption::ssl;
  return std::nullopt;
}

std::string_view to_string(Encryption e) {
  switch (e) {
    case Encryption::none:
      return "none";
    case Encryption::starttls:
      return "starttls";
    case Encryption::ssl:
      return "ssl";
  }
  return "none";
}

std::uint16_t default_port(Encryption e) {
  switch (e) {
    case Encryption::none:
      return 25;
    case Encryption::starttls:
      return 587;
    case Encryption::ssl:
      return kImplicitTlsPort;
  }
  return 25;
}

std::optional<std::string> port_advice(Encryption e, std::uint16_t port) {
  std::string p = std::to_string(port);
  if (e == Encryption::ssl && is_starttls_port(port))
    return "port " + p +
           " is a STARTTLS port (STARTTLS belongs on 25, 80 and 587, SSL/TLS on 465): "
           "--encryption ssl will most likely fail there. Use --encryption starttls, or "
           "--port 465 for SSL/TLS.";
  if (e == Encryption::ssl && port != kImplicitTlsPort)
    return "SSL/TLS (implicit TLS) normally runs on port 465, not " + p +
           "; if the connection fails, check which encryption the server expects on port " + p +
           ".";
  if (e == Encryption::starttls && port == kImplicitTlsPort)
    return "port 465 is the SSL/TLS (implicit TLS) port; STARTTLS belongs on 25, 80 and 587. "
           "Use --encryption ssl, or --port 587 for STARTTLS.";
  if (e == Encryption::none && port == kImplicitTlsPort)
    return "port 465 is the SSL/TLS (implicit TLS) port and does not talk in plain text. "
           "Use --encryption ssl.";
  return std::nullopt;
}

Speaks classify_first_bytes(std::string_view b) {
  if (b.empty()) return Speaks::nothing;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
  // RFC 8446 section 5.1: ContentType handshake(22) or alert(21), then legacy version 3.x.
  if ((byte(0) == 0x16 || byte(0) == 0x15) && (b.size() < 2 || byte(1) == 0x03)) return Speaks::tls;
  // RFC 5321 section 4.2: Reply-code [ SP / "-" text ] CRLF. Partial input counts as long as
  // what is there fits.
  std::size_t digits = std::min<std::size_t>(b.size(), 3);
  for (std::size_t i = 0; i < digits; ++i)
    if (!std::isdigit(byte(i))) return Speaks::something_else;
  if (byte(0) < '2' || byte(0) > '5') return Speaks::something_else;
  if (b.size() > 3 && b[3] != ' ' && b[3] != '-' && b[3] != '\r' && b[3] != '\n')
    return Speaks::something_else;
  return Speaks::smtp;
}

std::optional<std::string> diagnose_connection(const ConnectObservation& o) {
  Speaks kind = classify_first_bytes(o.first_bytes);
  if (o.encryption == Encryption::ssl) return diagnose_ssl(o, kind);
  return diagnose_plain(o, kind);
}

std::string printable_prefix(std::string_view bytes, std::size_t max_chars) {
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n') break;
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

std::string describe_verify_failure(long x509_error, std::string_view host) {
  std::string h(host);
  std::string reason = X509_verify_cert_error_string(x509_error);
  switch (x509_error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the server's certificate is not valid for " + h + " (" + reason +
             "): use the host name the certificate was issued for as --host, or --insecure "
             "for a test setup.";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "the certificate of " + h + " is not signed by a trusted CA (" + reason +
             "): trust its CA or the certificate itself with --cafile FILE, or use --insecure "
             "for a test setup.";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the certificate of " + h + " is outside its validity period (" + reason +
             "): the server needs a renewed certificate (or check this machine's clock).";
    default:
      return "the certificate of " + h + " could not be verified (" + reason +
             "): use --cafile FILE to trust its CA, or --insecure for a test setup.";
  }
}

}  // namespace herald::cli::send
