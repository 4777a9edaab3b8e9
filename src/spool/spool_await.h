// Coroutine forms of Spool::submit() and Spool::record_outcome() for asio callers (smtpd's
// sessions, the delivery engine). Each resumes the awaiting coroutine on its own executor once
// the writer's commit is durable, or has failed (the failure as a value): the writer thread runs
// completions, so the result is re-posted to keep the coroutine on its strand.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "spool/spool.h"

namespace herald::spool {

boost::asio::awaitable<Result<void>> await_submit(Spool& spool, store::NewMessage message);
boost::asio::awaitable<Result<void>> await_record_outcome(Spool& spool, Spool::Outcome outcome);

}  // namespace herald::spool
