#include "smtp/reply.h"

namespace herald::smtp {

std::string Reply::wire() const {
  std::string out;
  std::string_view rest = text;
  std::string code_text = std::to_string(code);
  while (true) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    out += code_text;
    out.push_back(nl == std::string_view::npos ? ' ' : '-');
    if (!enhanced.empty()) {
      out += enhanced;
      if (!line.empty()) out.push_back(' ');
    }
    out += line;
    out += "\r\n";
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace herald::smtp
