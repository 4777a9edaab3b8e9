// The HTTP API's request handling, free of sockets: a request target in, status and body out.
// Read-only today: /healthz, /api/v1/log (the delivery log with the same filters as
// `herald log`), /api/v1/events, /api/v1/domains, /api/v1/senders. No secret is ever returned.
#pragma once

#include <string>
#include <string_view>

#include "store/store.h"

namespace herald::api {

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

ApiResponse handle_request(std::string_view method, std::string_view target, store::Store& store);

}  // namespace herald::api
