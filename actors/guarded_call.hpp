// actors/guarded_call.hpp
// Calls into application handler code from an actor: an exception counts
// as a failed handler instead of ending the actor (CAF's default), which
// would end the hub's handler with it.
#pragma once

#include <sio/inline_handler.hpp>

#include <caf/error.hpp>
#include <caf/result.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include <exception>

namespace sio::detail {

/// Answers `call()`, or the handler's exception as an error: the session
/// then does what it does when any handler fails.
template <class Call>
auto answer_or_error(Call call) -> caf::result<decltype(call())> {
  try {
    return call();
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error,
                           exception_text(std::current_exception()));
  }
}

/// Runs a notification (`who` failed on `what`); an exception is logged.
template <class Call>
void notify_logged(const char* who, const char* what, Call call) {
  try {
    call();
  } catch (...) {
    spdlog::warn("{} failed on {}: {}", who, what,
                 exception_text(std::current_exception()));
  }
}

} // namespace sio::detail
