#include "spool/spool_await.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string>

namespace herald::spool {

namespace asio = boost::asio;

namespace {

// Calls start(completion) and waits for the completion on the awaiting coroutine's executor.
template <class Start>
asio::awaitable<Result<void>> await_completion(Start& start) {
  auto error = co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::string)>(
      [&start](auto handler) {
        auto ex = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([shared, ex](Result<void> r) {
          std::string err = r ? std::string() : r.error().message;
          asio::post(ex, [shared, err = std::move(err)]() mutable { (*shared)(std::move(err)); });
        });
      },
      asio::use_awaitable);
  if (!error.empty()) co_return make_error(error);
  co_return ok();
}

}  // namespace

asio::awaitable<Result<void>> await_submit(Spool& spool, store::NewMessage message) {
  // A named callable, not a temporary in the co_await: GCC 12 destroyed those twice.
  auto start = [&](Spool::Completion done) { spool.submit(std::move(message), std::move(done)); };
  co_return co_await await_completion(start);
}

asio::awaitable<Result<void>> await_record_outcome(Spool& spool, Spool::Outcome outcome) {
  auto start = [&](Spool::Completion done) {
    spool.record_outcome(std::move(outcome), std::move(done));
  };
  co_return co_await await_completion(start);
}

}  // namespace herald::spool
