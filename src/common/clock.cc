#include "common/clock.h"

#include <cstdio>
#include <ctime>

namespace herald {

std::string format_rfc3339(UnixMillis t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(t % 1000));
  return buf;
}

namespace {

bool parse_relative(const std::string& text, UnixMillis now, UnixMillis& out) {
  if (text.size() < 2) return false;
  long long n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || n > 1'000'000'000) return false;
    n = n * 10 + (text[i] - '0');
  }
  long long unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    default:
      return false;
  }
  out = now - n * unit;
  return true;
}

}  // namespace

bool parse_time(const std::string& text, UnixMillis now, UnixMillis& out) {
  if (parse_relative(text, now, out)) return true;
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) !=
          3 ||
      consumed != 10)
    return false;
  const char* rest = text.c_str() + 10;
  long long millis = 0;
  if (*rest == 'T' || *rest == ' ') {
    int used = 0;
    if (std::sscanf(rest + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 3 ||
        used != 8)
      return false;
    rest += 1 + used;
    if (*rest == '.') {
      ++rest;
      int digits = 0;
      while (*rest >= '0' && *rest <= '9') {
        if (digits++ < 3) millis = millis * 10 + (*rest - '0');
        ++rest;
      }
      while (digits++ < 3) millis *= 10;
    }
    long long offset_secs = 0;
    if (*rest == 'Z' || *rest == 'z') {
      ++rest;
    } else if (*rest == '+' || *rest == '-') {
      int oh = 0, om = 0, used2 = 0;
      if (std::sscanf(rest + 1, "%2d:%2d%n", &oh, &om, &used2) != 2 || used2 != 5) return false;
      offset_secs = (oh * 3600 + om * 60) * (*rest == '+' ? 1 : -1);
      rest += 1 + used2;
    }
    if (*rest != '\0') return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    out = (static_cast<long long>(timegm(&tm)) - offset_secs) * 1000 + millis;
    return true;
  }
  if (*rest != '\0') return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  out = static_cast<long long>(timegm(&tm)) * 1000;
  return true;
}

}  // namespace herald
