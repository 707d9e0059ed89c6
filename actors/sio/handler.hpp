// sio/handler.hpp (actors/sio/handler.hpp)
// Application event handlers as plain classes, each run by an actor of its
// own (so its calls come one at a time and its members need no lock):
//
// - sio::handler: a hub's handler, with state of its own (a game, a chat);
// - sio::socket_handler<Data>: the same with a Data per accepted socket,
//   made before on_connect and destroyed right after on_disconnect;
// - sio::stage: middleware in front of another handler (auth, logging,
//   rate limits): it overrides what it needs, the rest passes on unchanged.
//
// They sit on the event_handler_actor interface (<sio/event_handler.hpp>);
// sio::service::handle<H>() and use<S>() spawn them for a hub.
#pragma once

#include <sio/emitter.hpp>
#include <sio/event_handler.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace sio {

namespace detail {
struct handler_host;
} // namespace detail

/// What handler and stage share: the hub's emitter and timers on the actor.
class actor_handler_base {
public:
  virtual ~actor_handler_base();

protected:
  /// Sends to the hub's sockets (namespace "/"; .of() for others).
  const emitter& io() const noexcept { return io_; }
  /// The actor running this handler: for request()s to other actors.
  caf::event_based_actor* self() const noexcept { return self_; }
  /// Calls `fn` on this handler's actor every `interval` (at least 1 ms)
  /// until it stops; the next run is timed from the end of the last one.
  /// Call it on the actor (on_start or later): std::logic_error otherwise.
  void every(std::chrono::milliseconds interval, std::function<void()> fn);
  /// Calls `fn` on this handler's actor once, after `delay` (unless the
  /// actor stops first). Call it on the actor, as every().
  void after(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Called once on the actor before any event: start timers here.
  virtual void on_start() {}

private:
  friend struct detail::handler_host;
  emitter io_;
  caf::event_based_actor* self_ = nullptr;
  /// Timer callbacks by id (their messages carry the id).
  std::unordered_map<uint64_t, std::pair<std::chrono::milliseconds, std::function<void()>>> timers_;
  uint64_t next_timer_ = 0;
};

/// A hub's event handler with state of its own. Every accepted socket gets
/// exactly one on_connected and later exactly one on_disconnected (also
/// when the service stops); a rejected one gets neither.
class handler : public actor_handler_base {
public:
  /// A socket asks to join a namespace. Default: accept.
  virtual connect_verdict on_connect(const connect_event& ev);
  /// A socket was accepted. Default: nothing.
  virtual void on_connected(const connected_event& ev);
  /// An accepted socket is gone. Default: nothing.
  virtual void on_disconnected(const disconnected_event& ev);
  /// A client's event; the reply goes back to it (sio::ack, sio::emit_back
  /// in <sio/event.hpp>). Default: no reply.
  virtual message_reply on_message(const message_event& ev);
};

/// A handler with a `Data` per accepted socket (Node's `socket.data`): made
/// (value-initialized) before on_connect, kept if the socket is accepted,
/// destroyed right after its on_disconnect. An accepted socket whose
/// session never took the verdict (the client left first, or the verdict
/// came after the handler timeout) gets no connected event, nor a
/// disconnected one: its data goes after `unconnected_expiry`.
template <class Data>
class socket_handler : public handler {
public:
  /// A socket asks to join; fill `data` and accept, or reject.
  virtual connect_verdict on_connect(const connect_event& ev, Data& data) {
    (void) ev;
    (void) data;
    return connect_verdict::accept();
  }
  /// A socket was accepted.
  virtual void on_connect_done(const connected_event& ev, Data& data) {
    (void) ev;
    (void) data;
  }
  /// A client's event.
  virtual message_reply on_event(const message_event& ev, Data& data) = 0;
  /// The socket is gone; `data` is destroyed when this returns.
  virtual void on_disconnect(const disconnected_event& ev, Data& data) {
    (void) ev;
    (void) data;
  }

  /// Every connected socket's data by socket id (for broadcasts).
  const std::unordered_map<std::string, Data>& sockets() const noexcept { return data_; }

protected:
  /// How long an accepted socket's data waits for its connected event.
  std::chrono::milliseconds unconnected_expiry{std::chrono::seconds{60}};

private:
  connect_verdict on_connect(const connect_event& ev) final {
    Data d{};
    auto v = on_connect(ev, d);
    if (v.accepted) {
      accepted_[ev.socket.socket_id] = std::move(d);
      after(unconnected_expiry,
            [this, id = ev.socket.socket_id] { accepted_.erase(id); });
    }
    return v;
  }
  void on_connected(const connected_event& ev) final {
    auto i = accepted_.find(ev.socket.socket_id);
    if (i == accepted_.end())
      return;
    auto& d = data_[ev.socket.socket_id] = std::move(i->second);
    accepted_.erase(i);
    on_connect_done(ev, d);
  }
  message_reply on_message(const message_event& ev) final {
    auto i = data_.find(ev.socket.socket_id);
    if (i == data_.end())
      return {};
    return on_event(ev, i->second);
  }
  void on_disconnected(const disconnected_event& ev) final {
    auto i = data_.find(ev.socket.socket_id);
    if (i == data_.end())
      return;
    on_disconnect(ev, i->second);
    data_.erase(i);
  }

  std::unordered_map<std::string, Data> data_;
  /// Accepted, awaiting their connected event (or expiry).
  std::unordered_map<std::string, Data> accepted_;
};

/// Middleware in front of the next handler. Whatever it does not answer
/// goes on to the next one; connected/disconnected always do, after it saw
/// them.
class stage : public actor_handler_base {
public:
  /// Answer to turn the socket away (or let it in without asking the next
  /// handler); nullopt passes `ev` (which may be changed) on. Default: pass.
  virtual std::optional<connect_verdict> on_connect(connect_event& ev);
  /// Sees a connected event before the next handler does.
  virtual void on_connected(const connected_event& ev);
  /// Sees a disconnected event before the next handler does.
  virtual void on_disconnected(const disconnected_event& ev);
  /// Answer to keep the event from the next handler; nullopt passes `ev`
  /// on (set its args_offset to 0 when you change its packet). Default: pass.
  virtual std::optional<message_reply> on_message(message_event& ev);
};

/// Runs `h` as the handler actor of `hub`.
event_handler_actor spawn_handler(caf::actor_system& sys, hub_actor hub,
                                  std::unique_ptr<handler> h);

/// Runs `s` as a stage actor in front of `next`, linked to it so that
/// ending the head of a pipeline ends all of it. An invalid `next` answers
/// what the stage passes on as an in-process handler with none would:
/// connects accepted, events unanswered.
event_handler_actor spawn_stage(caf::actor_system& sys, hub_actor hub,
                                event_handler_actor next,
                                std::unique_ptr<stage> s);

} // namespace sio
