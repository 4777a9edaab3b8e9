// "Did you mean ...?" for unknown keys: a key placed in the wrong section, or misspelt.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace herald::config {

// " (did you mean smtp.max_recipients?)" for "smtp.max_recipent", or "" when nothing is close.
// `path` is a dotted key as reported, possibly inside a listener ("smtp.listeners[1].adress").
std::string suggestion(std::string_view path);

// Optimal string alignment distance: edits, counting a swap of neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace herald::config
