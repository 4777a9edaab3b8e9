#include "store/store.h"

namespace herald::store {

std::string_view to_string(SenderType t) {
  return t == SenderType::triggered ? "triggered" : "batch";
}

std::optional<SenderType> sender_type_from_string(std::string_view s) {
  if (s == "triggered") return SenderType::triggered;
  if (s == "batch") return SenderType::batch;
  return std::nullopt;
}

}  // namespace herald::store
