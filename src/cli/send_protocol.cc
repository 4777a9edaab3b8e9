#include "cli/send_protocol.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace herald::cli::send {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

void add_mechanisms(Capabilities& caps, std::string_view list) {
  for (auto& m : split_words(list)) {
    std::string u = upper(m);
    if (std::find(caps.auth_mechanisms.begin(), caps.auth_mechanisms.end(), u) ==
        caps.auth_mechanisms.end())
      caps.auth_mechanisms.push_back(u);
  }
}

}  // namespace

std::string Reply::summary() const {
  std::string out = std::to_string(code);
  for (const auto& l : lines)
    if (!l.empty()) out += " " + l;
  return out;
}

Result<bool> ReplyAssembler::add_line(std::string_view line) {
  // RFC 5321 section 4.2: Reply-code is %x32-35 %x30-35 %x30-39, then "-" (more lines
  // follow), SP text, or nothing.
  bool shape = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' &&
               std::isdigit(static_cast<unsigned char>(line[1])) &&
               std::isdigit(static_cast<unsigned char>(line[2])) &&
               (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  if (!shape) return make_error("not an SMTP reply line: \"" + std::string(line) + "\"");
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code)
    return make_error("reply lines with different codes (" + std::to_string(reply_.code) +
                      " then " + std::to_string(code) + ")");
  reply_.code = code;
  reply_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
  return line.size() == 3 || line[3] == ' ';
}

Reply ReplyAssembler::take() {
  Reply r = std::move(reply_);
  reply_ = Reply{};
  return r;
}

bool Capabilities::has(std::string_view keyword) const {
  std::string u = upper(keyword);
  return std::find(keywords.begin(), keywords.end(), u) != keywords.end();
}

Capabilities parse_ehlo(const Reply& reply) {
  Capabilities caps;
  // The first line is "domain [greeting]"; each further line is "keyword *(SP param)".
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::string_view line = reply.lines[i];
    auto end = line.find_first_of(" =");
    std::string keyword = upper(line.substr(0, end));
    std::string_view params = end == std::string_view::npos ? "" : line.substr(end + 1);
    if (keyword.empty()) continue;
    if (!caps.has(keyword)) caps.keywords.push_back(keyword);
    if (keyword == "STARTTLS") caps.starttls = true;
    if (keyword == "AUTH") {
      caps.auth = true;
      add_mechanisms(caps, params);
    }
  }
  return caps;
}

std::string_view to_string(AuthMechanism m) {
  return m == AuthMechanism::plain ? "PLAIN" : "LOGIN";
}

std::optional<AuthMechanism> choose_auth_mechanism(const Capabilities& caps) {
  auto offered = [&](std::string_view m) {
    return std::find(caps.auth_mechanisms.begin(), caps.auth_mechanisms.end(), m) !=
           caps.auth_mechanisms.end();
  };
  if (offered("PLAIN")) return AuthMechanism::plain;
  if (offered("LOGIN")) return AuthMechanism::login;
  return std::nullopt;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

namespace {

std::string plain_blob(std::string_view user, std::string_view password) {
  std::string raw;
  raw.push_back('\0');
  raw.append(user);
  raw.push_back('\0');
  raw.append(password);
  return base64_encode(raw);
}

}  // namespace

Command auth_plain(std::string_view user, std::string_view password) {
  return Command{"AUTH PLAIN " + plain_blob(user, password), "AUTH PLAIN " + std::string(kMask)};
}

Command auth_login_user(std::string_view user) {
  return visible(base64_encode(user));
}

Command auth_login_password(std::string_view password) {
  return Command{base64_encode(password), std::string(kMask)};
}

void Redactor::add_password(std::string_view user, std::string_view password) {
  if (password.empty()) return;
  if (password.size() >= 4) secrets_.emplace_back(password);
  secrets_.push_back(base64_encode(password));
  secrets_.push_back(plain_blob(user, password));
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view line) const {
  std::string out(line);
  for (const auto& s : secrets_) {
    for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + kMask.size()))
      out.replace(pos, s.size(), kMask);
  }
  return out;
}

}  // namespace herald::cli::send
