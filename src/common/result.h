// Expected failures as values: every fallible operation returns Result<T>.
// Error carries a human-readable message meant for the operator; it never contains secrets.
// Broken invariants are not errors: they crash loudly (assert / std::abort).
#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace herald {

struct Error {
  std::string message;
};

// boost::system::result::value() throws through this when the result holds an Error.
[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

template <class T = void>
using Result = boost::system::result<T, Error>;

inline Error make_error(std::string message) {
  return Error{std::move(message)};
}

// Shorthand for "return failure": `return fail("domain {} exists", d);` needs fmt; keep it simple.
inline boost::system::result<void, Error> ok() {
  return {};
}

}  // namespace herald
