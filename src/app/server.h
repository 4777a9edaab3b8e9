// `herald serve`: config -> store -> TLS material -> bind ports -> drop privileges -> run,
// until SIGINT/SIGTERM (clean shutdown: stop accepting, let the spool commit what it holds).
// SIGHUP reloads the TLS certificate.
#pragma once

#include "config/config.h"

namespace herald::app {

int run_server(const config::Config& config);

}  // namespace herald::app
