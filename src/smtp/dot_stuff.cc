#include "smtp/dot_stuff.h"

namespace herald::smtp {
namespace {

// One pass over the message: line endings to CRLF, optional stuffing, final CRLF.
std::string encode(std::string_view message, bool stuff) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && stuff && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  return out;
}

}  // namespace

std::string dot_stuff(std::string_view message) {
  std::string out = encode(message, true);
  out += ".\r\n";
  return out;
}

std::string normalize_line_endings(std::string_view message) {
  return encode(message, false);
}

}  // namespace herald::smtp
