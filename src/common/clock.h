// Time as seen by Herald: Unix seconds/milliseconds, and a Clock seam so tests can fake "now".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace herald {

using UnixMillis = std::int64_t;

inline UnixMillis now_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// RFC 3339 UTC, e.g. 2026-12-04T16:51:09.123Z (what the CLI and API print).
std::string format_rfc3339(UnixMillis t);

// Parses RFC 3339 ("2026-12-04T16:51:09Z", fraction and offset optional), a date
// ("2026-12-04", midnight UTC) or a relative age ("90s", "15m", "2h", "3d" = that long ago).
// Returns false when the text is none of these.
bool parse_time(const std::string& text, UnixMillis now, UnixMillis& out);

}  // namespace herald
