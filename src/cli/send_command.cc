// herald send: the "Send email" test button of Nextcloud's mail settings as a command. It
// submits one test mail to an SMTP server with the given settings and prints the dialogue, and
// when the encryption does not fit the port (SSL/TLS spoken to a STARTTLS port or the
// reverse) it says so in plain words with the setting to use, instead of a raw TLS error.
//
//   herald send --host H --encryption none|starttls|ssl --from F --to T [--to T2 ...]
//               [--port P] [--user U --password-stdin] [--allow-plaintext-auth]
//               [--subject S] [--insecure] [--cafile FILE] [--timeout SECONDS] [--helo NAME]
//
// --port defaults to 25 (none), 587 (starttls) or 465 (ssl). The password is one line on
// standard input (prompted without echo on a terminal).
//
// Output format (stdout), one line per event, flushed as it happens:
//   * <note>            e.g. "* warning: port 587 is a STARTTLS port ...",
//                       "* Connecting to H port P (encryption: starttls)",
//                       "* Connected to 192.0.2.1 port 587",
//                       "* TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate
//                          verified for H" (or "certificate not verified (--insecure...)"),
//                       "* server certificate: subject CN=..., issuer CN=..."
//   C: <command>        what the client sent; the password never appears: "C: AUTH PLAIN
//                       ********", and for AUTH LOGIN the password line is "C: ********";
//                       the message itself is printed line by line after "C: DATA", ending
//                       with "C: ."
//   S: <reply line>     each line the server sent (controls escaped as \xNN)
//   Message accepted: <the server's final reply, code included, e.g. "250 2.0.0 Ok: queued
//                     as 42">   -- last line on success; exit status 0
// On failure: exit status 1 and one "herald: error: <plain explanation>" line on stderr, e.g.
//   herald: error: authentication failed: 535 5.7.8 Authentication credentials invalid
//   herald: error: the server rejected the sender a@example.com: 550 5.7.1 ...
//   herald: error: port 587 answers in plain text ("220 mx ESMTP"): it expects STARTTLS (or
//                  no encryption), not SSL/TLS. Use --encryption starttls.
//   herald: error: port 465 sent no SMTP greeting but answers a TLS handshake: it expects
//                  implicit TLS (SSL/TLS, usually port 465), not STARTTLS. Use --encryption ssl.
// Usage errors (unknown option, bad --encryption value, missing --host/--from/--to) exit 2.
#include <unistd.h>

#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/send_client.h"

namespace herald::cli {

namespace {

struct SendArgs {
  send::SendOptions options;
  std::string encryption;
  int port = 0;  // 0: the default for the encryption
  int timeout_seconds = 15;
  bool password_stdin = false;
};

int run_send(SendArgs& args) {
  auto& o = args.options;
  o.encryption = *send::parse_encryption(args.encryption);  // CLI11 checked the value
  o.port = args.port ? static_cast<std::uint16_t>(args.port) : send::default_port(o.encryption);
  o.timeout = std::chrono::seconds(args.timeout_seconds);
  if (args.password_stdin) {
    // Settle everything else first, so nobody types a password for a command that cannot run.
    send::SendOptions without_password = o;
    without_password.password = "-";
    if (auto r = send::check_options(without_password); !r) return report(r.error());
    auto pw = read_secret_line("SMTP password for " + o.user + ": ");
    if (!pw || pw->empty()) return report(make_error("no password on standard input"));
    o.password = std::move(*pw);
  }
  auto sink = [](std::string_view line) { std::cout << line << std::endl; };
  auto accepted = send::send_test_mail(o, sink);
  if (!accepted) return report(accepted.error());
  std::cout << "Message accepted: " << *accepted << std::endl;
  return 0;
}

}  // namespace

void register_send_command(CLI::App& app, Context& /*ctx*/, int& exit_code) {
  static SendArgs args;
  auto& o = args.options;
  auto* cmd =
      app.add_subcommand("send",
                         "Send a test mail through an SMTP server and show the dialogue (like the "
                         "\"Send email\" button of Nextcloud's mail settings)");
  cmd->add_option("--host", o.host, "SMTP server host name or address")->required();
  cmd->add_option("--encryption", args.encryption,
                  "none, starttls (usually port 587 or 25) or ssl (implicit TLS, port 465)")
      ->required()
      ->check(CLI::IsMember({"none", "starttls", "ssl"}));
  cmd->add_option("--port", args.port, "Port; default 25, 587 or 465 by --encryption")
      ->check(CLI::Range(1, 65535));
  auto* user = cmd->add_option("--user", o.user, "SMTP user name (authenticate with AUTH)");
  auto* pw = cmd->add_flag("--password-stdin", args.password_stdin,
                           "Read the SMTP password from standard input (one line)");
  user->needs(pw);
  pw->needs(user);
  cmd->add_flag("--allow-plaintext-auth", o.allow_plaintext_auth,
                "Allow sending the password without encryption (--encryption none)");
  cmd->add_option("--from", o.from, "Sender address (MAIL FROM and From:)")->required();
  cmd->add_option("--to", o.to, "Recipient address; repeat for more")->required();
  cmd->add_option("--subject", o.subject, "Subject")->capture_default_str();
  cmd->add_flag("--insecure", o.insecure,
                "Do not verify the server certificate (test setups, self-signed certificates)");
  cmd->add_option("--cafile", o.cafile,
                  "Also trust the CA (or server certificate) in this PEM file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--timeout", args.timeout_seconds,
                  "Seconds to wait for the connection and for each read and write")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--helo", o.helo,
                  "Name to send with EHLO; default this host's FQDN or its address literal");
  cmd->callback([&] { exit_code = run_send(args); });
}

}  // namespace herald::cli
