// Fuzzes the pure parsers: command lines, MAIL/RCPT/BDAT arguments, paths and mailboxes,
// mailbox lists and header blocks, SASL decoding. Checks round-trip invariants and aborts on
// violation.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sasl/sasl_mechanisms.h"
#include "smtp/address.h"
#include "smtp/command.h"
#include "smtp/message.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_mailbox(std::string_view text, bool utf8) {
  auto m = herald::smtp::parse_mailbox(text, utf8);
  if (!m) return;
  // A parsed mailbox prints to text that parses back to the same mailbox.
  auto again = herald::smtp::parse_mailbox(m->str(), true);
  check(again.has_value() && *again == *m);
  check(m->local.size() <= herald::smtp::kMaxLocalPartLength);
  check(utf8 || !herald::smtp::has_non_ascii(m->str()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace herald::smtp;

  Command cmd = parse_command(in);
  check(cmd.verb.size() + cmd.args.size() <= in.size());
  for (auto prefix : {"FROM", "TO"}) {
    if (auto args = parse_path_args(in, prefix)) {
      check(args->path.front() == '<' && args->path.back() == '>');
      auto p = parse_path(args->path, true, true);
      if (p.path && !p.path->null) check_mailbox(p.path->mailbox.str(), true);
      parse_path(args->path, false, false);
    }
  }
  if (auto b = parse_bdat_args(in)) check(b->size <= 9'999'999'999'999'999'999ull);
  check_mailbox(in, false);
  check_mailbox(in, true);
  if (is_valid_domain(in)) check(in.size() <= 253 && !has_non_ascii(in));

  if (auto list = parse_mailbox_list(in)) check(!list->empty());
  HeaderSummary h = parse_headers(in);
  check(h.header_end <= in.size());
  if (h.from_parsed) check(!h.from.empty());

  if (auto decoded = herald::sasl::decode_base64(in)) {
    check(herald::sasl::encode_base64(*decoded) == in);
  }
  herald::sasl::decode_plain_message(in);
  herald::sasl::Exchange e(herald::sasl::Mechanism::login);
  e.start(std::nullopt);
  e.respond(in);
  return 0;
}
