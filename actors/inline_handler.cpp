#include <sio/inline_handler.hpp>
#include "actors/guarded_call.hpp"

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

event_handler_actor::behavior_type
inline_adapter(event_handler_actor::pointer, inline_handler_ptr h) {
  return {
    [h](const connect_event& ev) {
      return detail::answer_or_error([&] { return h->on_connect(ev); });
    },
    [h](const connected_event& ev) {
      detail::notify_logged("inline handler", "connected", [&] { h->on_connected(ev); });
    },
    [h](const disconnected_event& ev) {
      detail::notify_logged("inline handler", "disconnected", [&] { h->on_disconnected(ev); });
    },
    [h](const message_event& ev) {
      return detail::answer_or_error([&] { return h->on_message(ev); });
    },
  };
}

} // namespace

event_handler_actor spawn_inline_handler_actor(caf::actor_system& sys,
                                               inline_handler_ptr handler) {
  return sys.spawn(inline_adapter, std::move(handler));
}

} // namespace sio
