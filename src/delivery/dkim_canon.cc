#include "delivery/dkim_canon.h"

#include <map>

namespace herald::delivery::dkim {

namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

// RFC 5322 §3.6.8 ftext: printable US-ASCII except the colon.
bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c < 33 || c > 126) return false;
  return true;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view without_final_crlf(std::string_view s) {
  if (s.ends_with("\r\n")) s.remove_suffix(2);
  return s;
}

// Appends `text` to `out` with CRLFs removed, SP/HTAB runs made one SP and whitespace at both
// ends dropped: the value rule of §3.4.2 and, without CRLFs, the line rule of §3.4.4.
void append_collapsed(std::string_view text, std::string& out, bool keep_leading_space) {
  bool pending_space = false;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;  // unfolding: the CRLF goes, the WSP after it counts as whitespace
      continue;
    }
    if (is_wsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && (any || keep_leading_space)) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
    any = true;
  }
}

}  // namespace

Result<SplitMessage> split_message(std::string_view message) {
  SplitMessage out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t eol = message.find("\r\n", pos);
    std::size_t next = eol == std::string_view::npos ? message.size() : eol + 2;
    std::string_view line = message.substr(pos, next - pos);
    if (line == "\r\n") {
      out.body = message.substr(next);
      return out;
    }
    if (is_wsp(line[0])) {
      if (out.fields.empty()) return make_error("the message starts with a continuation line");
      auto& last = out.fields.back();
      last.raw = std::string_view(last.raw.data(), last.raw.size() + line.size());
    } else {
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return make_error("a header line is not a field: no name before a colon");
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // obs-optional
      if (!is_field_name(name)) return make_error("a header field name has invalid characters");
      out.fields.push_back({name, line});
    }
    pos = next;
  }
  return out;  // headers only, no body
}

std::string relaxed_header(std::string_view raw_field) {
  raw_field = without_final_crlf(raw_field);
  std::size_t colon = raw_field.find(':');
  std::string_view name = raw_field.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : raw_field.substr(colon + 1);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string out;
  out.reserve(raw_field.size() + 2);
  for (char c : name) out.push_back(lower(c));
  out.push_back(':');
  append_collapsed(value, out, false);
  out.append("\r\n");
  return out;
}

void relaxed_body(std::string_view body, const std::function<void(std::string_view)>& emit) {
  std::size_t pending_empty = 0;  // empty lines are emitted only once a later line has text
  std::string line_out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t eol = body.find("\r\n", pos);
    std::size_t end = eol == std::string_view::npos ? body.size() : eol;
    line_out.clear();
    // Leading whitespace stays as one SP; only trailing whitespace goes (§3.4.4 a, b).
    append_collapsed(body.substr(pos, end - pos), line_out, true);
    pos = eol == std::string_view::npos ? body.size() : eol + 2;
    if (line_out.empty()) {
      ++pending_empty;
      continue;
    }
    for (; pending_empty > 0; --pending_empty) emit("\r\n");
    line_out.append("\r\n");
    emit(line_out);
  }
}

std::string relaxed_body(std::string_view body) {
  std::string out;
  relaxed_body(body, [&out](std::string_view piece) { out.append(piece); });
  return out;
}

std::vector<std::string_view> select_fields(const std::vector<HeaderField>& fields,
                                            const std::vector<std::string>& names) {
  std::vector<std::string_view> out;
  std::map<std::string, std::size_t> used;  // lower-cased name -> instances taken from the bottom
  for (const std::string& name : names) {
    std::string key;
    for (char c : name) key.push_back(lower(c));
    std::size_t skip = used[key]++;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (!iequal(it->name, key)) continue;
      if (skip-- == 0) {
        out.push_back(it->raw);
        break;
      }
    }
  }
  return out;
}

}  // namespace herald::delivery::dkim
