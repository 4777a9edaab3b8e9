// Fuzzes DKIM relaxed canonicalization (delivery/dkim_canon.h) with arbitrary messages.
// Checks: split_message() partitions the input exactly; relaxed output has the shape RFC 6376
// §3.4.2/§3.4.4 defines (no SP/HTAB runs, no whitespace before CRLF, no trailing empty
// lines) and canonicalizing twice changes nothing; field selection only returns fields of the
// message. Aborts on violation.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "delivery/dkim_canon.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool has_wsp_run_or_space_before_crlf(std::string_view s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    bool wsp = s[i] == ' ' || s[i] == '\t';
    if (wsp && (s[i + 1] == ' ' || s[i + 1] == '\t')) return true;
    if (wsp && s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') return true;
    if (s[i] == '\t') return true;  // relaxed output has SP only
  }
  return false;
}

void check_body(std::string_view body) {
  using namespace herald::delivery::dkim;
  std::string canon = relaxed_body(body);
  check(!has_wsp_run_or_space_before_crlf(canon));
  check(canon.empty() || canon.ends_with("\r\n"));
  check(!canon.ends_with("\r\n\r\n") && canon != "\r\n");
  check(relaxed_body(canon) == canon);
}

void check_header(std::string_view raw) {
  using namespace herald::delivery::dkim;
  std::string canon = relaxed_header(raw);
  check(canon.ends_with("\r\n"));
  std::string_view value(canon);
  value.remove_suffix(2);
  check(!has_wsp_run_or_space_before_crlf(value));
  check(value.find("\r\n") == std::string_view::npos);  // unfolded
  std::size_t colon = canon.find(':');
  check(colon != std::string::npos);
  for (std::size_t i = 0; i < colon; ++i) check(!(canon[i] >= 'A' && canon[i] <= 'Z'));
  check(relaxed_header(canon) == canon);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald::delivery::dkim;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check_body(in);
  auto split = split_message(in);
  if (!split) return 0;
  std::string rebuilt;
  for (const auto& f : split->fields) {
    check(!f.name.empty() && f.raw.starts_with(f.name));
    rebuilt.append(f.raw);
    check_header(f.raw);
  }
  if (rebuilt.size() < in.size()) rebuilt.append("\r\n").append(split->body);
  check(rebuilt == in);
  std::vector<std::string> names;
  for (const auto& f : split->fields) names.emplace_back(f.name);
  names.emplace_back("from");
  auto selected = select_fields(split->fields, names);
  check(selected.size() <= split->fields.size());
  for (auto raw : selected) check(in.find(raw) != std::string_view::npos);
  return 0;
}
