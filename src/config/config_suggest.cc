#include "config/config_suggest.h"

#include <algorithm>
#include <vector>

#include "config/config_table.h"

namespace herald::config {
namespace {

std::string_view leaf_of(std::string_view path) {
  std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::vector<std::string> candidates_for(std::string_view path) {
  std::vector<std::string> out;
  for (const Entry& e : entries()) {
    out.emplace_back(e.key);
    for (std::size_t dot = e.key.find('.'); dot != std::string_view::npos;
         dot = e.key.find('.', dot + 1))
      out.emplace_back(e.key.substr(0, dot));
  }
  // Inside a listener, its own fields are the nearest candidates.
  if (std::size_t bracket = path.rfind(']'); bracket != std::string_view::npos)
    for (const ListenerField& f : listener_fields())
      out.push_back(std::string(path.substr(0, bracket + 1)) + "." + std::string(f.name));
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: distance between the first i characters of a and the first j of b.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string suggestion(std::string_view path) {
  std::vector<std::string> candidates = candidates_for(path);
  // A known key name in the wrong place (e.g. after a [[smtp.listeners]] header) is the
  // likeliest mistake, so it wins over spelling.
  std::string_view leaf = leaf_of(path);
  for (const std::string& c : candidates)
    if (leaf_of(c) == leaf && c != path) return " (did you mean " + c + "?)";
  constexpr std::size_t kMaxEdits = 2;
  const std::string* best = nullptr;
  std::size_t best_distance = kMaxEdits + 1;
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(path, c);
    if (d < best_distance && d < leaf.size()) {
      best = &c;
      best_distance = d;
    }
  }
  return best ? " (did you mean " + *best + "?)" : "";
}

}  // namespace herald::config
