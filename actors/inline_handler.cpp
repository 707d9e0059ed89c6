#include <sio/inline_handler.hpp>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <exception>
#include <string>

namespace sio {

inline_handler::~inline_handler() = default;

connect_verdict inline_handler::on_connect(const connect_event&) {
  return connect_verdict::accept();
}

void inline_handler::on_connected(const connected_event&) {
  // nop
}

void inline_handler::on_disconnected(const disconnected_event&) {
  // nop
}

std::string detail::exception_text(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

namespace {

/// Answers `call()`, or the handler's exception as an error: the session
/// then does what it does when any handler fails, and this actor lives on
/// (CAF's default would end it, and with it the hub's handler).
template <class Call>
auto answer(Call call) -> caf::result<decltype(call())> {
  try {
    return call();
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error,
                           detail::exception_text(std::current_exception()));
  }
}

/// Runs a notification; an exception is logged.
template <class Call>
void notify(const char* what, Call call) {
  try {
    call();
  } catch (...) {
    spdlog::warn("inline handler failed on {}: {}", what,
                 detail::exception_text(std::current_exception()));
  }
}

event_handler_actor::behavior_type
inline_adapter(event_handler_actor::pointer, inline_handler_ptr h) {
  return {
    [h](const connect_event& ev) {
      return answer([&] { return h->on_connect(ev); });
    },
    [h](const connected_event& ev) {
      notify("connected", [&] { h->on_connected(ev); });
    },
    [h](const disconnected_event& ev) {
      notify("disconnected", [&] { h->on_disconnected(ev); });
    },
    [h](const message_event& ev) {
      return answer([&] { return h->on_message(ev); });
    },
  };
}

} // namespace

event_handler_actor spawn_inline_handler_actor(caf::actor_system& sys,
                                               inline_handler_ptr handler) {
  return sys.spawn(inline_adapter, std::move(handler));
}

} // namespace sio
