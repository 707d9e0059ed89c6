// sio/inline_handler.hpp (actors/sio/inline_handler.hpp)
// The inline event handler: the in-process alternative to an
// event_handler_actor that a session calls directly, on the thread running
// the session, instead of sending it a request and waiting for the reply.
#pragma once

#include <sio/event_handler.hpp>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <exception>
#include <memory>
#include <string>

namespace sio {

/// A hub's event handler as plain member functions. A session calls them
/// itself, in order, for its own sockets: no request, mailbox or reply
/// message per event, about a third fewer instructions per echoed ack than
/// the same handler as an actor (bench/profile-notes.md).
///
/// Take it for handlers that answer at once from the event itself (echo,
/// validation, relaying to the hub); keep event_handler_actor for handlers
/// that wait for I/O or for other actors, or that keep state of their own
/// (the demo chat in examples/handlers/).
///
/// Contract:
/// - Many sessions call one handler at the same time from the service's
///   threads: the functions must be thread-safe.
/// - They run on a thread that also does network I/O (sio-server's
///   default), so they must not block.
/// - To send to sockets or rooms, keep the hub_actor the factory got and
///   send to it with sio::emitter (the demo echo in examples/handlers/ does).
/// - An exception counts as a failed handler, as an actor handler's error
///   does: a connect is rejected with its what() in the CONNECT_ERROR, an
///   event is dropped and counted (sio_rejected_total).
class inline_handler {
public:
  virtual ~inline_handler();

  /// A socket asks to join a namespace. Default: accept.
  virtual connect_verdict on_connect(const connect_event& ev);
  /// A socket was accepted. Default: nothing.
  virtual void on_connected(const connected_event& ev);
  /// An accepted socket is gone (exactly once; none if rejected). Default: nothing.
  virtual void on_disconnected(const disconnected_event& ev);
  /// An event from a client; a non-empty reply payload goes back to it
  /// (the ack, see actors/event_payloads.hpp), a close reason closes its connection.
  virtual message_reply on_message(const message_event& ev) = 0;
};

namespace detail {
/// What a caught exception says: its what(), or "unknown exception".
std::string exception_text(std::exception_ptr e);
} // namespace detail

/// Shared by the hub, its sessions and the service.
using inline_handler_ptr = std::shared_ptr<inline_handler>;

/// The same handler behind the event_handler_actor interface: for pipeline
/// stages (whose `next` is an actor) and for code that only speaks the
/// actor interface. Its calls run one at a time, on the actor.
event_handler_actor spawn_inline_handler_actor(caf::actor_system& sys,
                                               inline_handler_ptr handler);

} // namespace sio

// Local only: a pointer to code, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sio::inline_handler_ptr)
