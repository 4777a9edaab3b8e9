// RFC 2047 encoded-words in header text ("=?utf-8?Q?zur=C3=BCck?=", "=?UTF-8?B?...?="), decoded
// to UTF-8 for display (the delivery log's subject). Pure. Charsets: UTF-8, US-ASCII and
// ISO-8859-1 (converted to UTF-8); a word in another charset, or malformed, stays as it was.
// White space between two adjacent encoded-words is dropped (RFC 2047 §6.2).
#pragma once

#include <string>
#include <string_view>

namespace herald::smtp {

std::string decode_encoded_words(std::string_view text);

}  // namespace herald::smtp
