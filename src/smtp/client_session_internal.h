// Helpers shared by client_session.cc and client_session_tx.cc; not part of the API.
#pragma once

#include <string>
#include <string_view>

#include "smtp/client_session.h"

namespace herald::smtp::client_detail {

// A result Herald made up (timeouts, lost connections, local policy), `local` set.
RecipientResult local_result(int code, std::string_view enhanced, std::string text,
                             ClientStage stage);
// A result that passes on the server's reply; the enhanced code defaults to class.0.0.
RecipientResult server_result(const ServerReply& reply, ClientStage stage);

}  // namespace herald::smtp::client_detail
