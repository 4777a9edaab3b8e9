#include "accounts/domain_records.h"

#include <algorithm>
#include <cctype>

namespace herald::accounts {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == lower(prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : " | ") + v;
  return out;
}

// RFC 6376 §3.2 tag=value list: returns the value of `tag` with folding white space removed.
std::string dkim_tag(std::string_view record, std::string_view tag) {
  for (auto part : split(record, ';')) {
    auto eq = part.find('=');
    if (eq == std::string_view::npos || trim(part.substr(0, eq)) != tag) continue;
    std::string value;
    for (char c : part.substr(eq + 1))
      if (!std::isspace(static_cast<unsigned char>(c))) value += c;
    return value;
  }
  return {};
}

// An SPF record authorizes Herald when one of its terms is the mechanism we asked for and it
// ends in a fail or softfail "all" (RFC 7208 §5.1).
bool spf_authorizes(std::string_view record, std::string_view hostname) {
  bool has_mechanism = false, has_all = false;
  for (auto term : split(record, ' ')) {
    term = trim(term);
    if (term.empty()) continue;
    std::string t = lower(term);
    if (t == "a:" + lower(hostname) || t == "+a:" + lower(hostname)) has_mechanism = true;
    if (t == "-all" || t == "~all") has_all = true;
  }
  return has_mechanism && has_all;
}

RecordCheck fail(RecordCheck c, std::string reason) {
  c.pass = false;
  c.reason = std::move(reason);
  return c;
}

RecordCheck check_spf(RecordCheck c, const TxtLookup& lookup, std::string_view hostname) {
  std::vector<std::string> spf;
  for (const auto& v : lookup.values)
    if (starts_with_ci(v, "v=spf1 ") || lower(v) == "v=spf1") spf.push_back(v);
  c.seen = join(spf);
  if (spf.empty()) return fail(c, "no SPF record (v=spf1) found");
  if (spf.size() > 1) return fail(c, "several SPF records: RFC 7208 makes that a permanent error");
  if (!spf_authorizes(spf[0], hostname))
    return fail(c, "SPF record does not contain a:" + std::string(hostname) + " with -all/~all");
  c.pass = true;
  return c;
}

RecordCheck check_dkim(RecordCheck c, const TxtLookup& lookup) {
  std::string want = dkim_tag(c.spec.value, "p");
  c.seen = join(lookup.values);
  for (const auto& v : lookup.values) {
    if (dkim_tag(v, "p") == want) {
      c.seen = v;
      c.pass = true;
      return c;
    }
  }
  return fail(c, lookup.values.empty() ? "no DKIM record found"
                                       : "DKIM record does not carry this domain's public key");
}

}  // namespace

std::vector<DnsRecordSpec> dkim_records(const store::Domain& d) {
  auto record = [&](std::string purpose, const store::DkimKey& k, bool required, std::string hint) {
    return DnsRecordSpec{std::move(purpose),
                         k.selector + "._domainkey." + d.name,
                         "TXT",
                         "v=DKIM1; k=rsa; p=" + k.public_key,
                         required,
                         std::move(hint)};
  };
  std::vector<DnsRecordSpec> out{record("dkim", d.dkim_active(), true, "")};
  if (d.dkim_pending)
    out.push_back(record("dkim-next", *d.dkim_pending, false,
                         "the pending key of a rotation: mail is signed with it only after "
                         "this record is published and 'herald domain rotate-dkim " +
                             d.name + " --activate' has run"));
  if (d.dkim_previous)
    out.push_back(record("dkim-previous", *d.dkim_previous, false,
                         "the key used before the last rotation (" +
                             format_rfc3339(d.dkim_active().created_at) +
                             "): keep this record published for a few days so that mail "
                             "signed with it still verifies"));
  return out;
}

std::vector<DnsRecordSpec> records_to_publish(const store::Domain& d,
                                              std::string_view herald_hostname) {
  std::vector<DnsRecordSpec> out{
      {"ownership", "_herald." + d.name, "TXT", "herald-verification=" + d.verify_token, true, ""},
      {"spf", d.name, "TXT", "v=spf1 a:" + std::string(herald_hostname) + " -all", true, ""},
  };
  for (auto& r : dkim_records(d)) out.push_back(std::move(r));
  out.push_back({"dmarc", "_dmarc." + d.name, "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@" + d.name,
                 false, ""});
  return out;
}

RecordCheck check_record(const DnsRecordSpec& spec, const TxtLookup& lookup,
                         std::string_view herald_hostname) {
  RecordCheck c{spec, false, "", ""};
  if (lookup.failed) return fail(c, "lookup failed: " + lookup.error);
  if (spec.purpose == "spf") return check_spf(c, lookup, herald_hostname);
  if (starts_with_ci(spec.purpose, "dkim")) return check_dkim(c, lookup);
  if (spec.purpose == "dmarc") {
    for (const auto& v : lookup.values) {
      if (starts_with_ci(v, "v=DMARC1")) {
        c.seen = v;
        c.pass = true;
        return c;
      }
    }
    c.seen = join(lookup.values);
    return fail(c, "no DMARC record (v=DMARC1) found");
  }
  // ownership: the exact token.
  c.seen = join(lookup.values);
  if (std::find(lookup.values.begin(), lookup.values.end(), spec.value) != lookup.values.end()) {
    c.seen = spec.value;
    c.pass = true;
    return c;
  }
  return fail(c, lookup.values.empty() ? "no TXT record found" : "verification token not found");
}

bool all_required_pass(const std::vector<RecordCheck>& checks) {
  return std::all_of(checks.begin(), checks.end(),
                     [](const RecordCheck& c) { return c.pass || !c.spec.required; });
}

}  // namespace herald::accounts
