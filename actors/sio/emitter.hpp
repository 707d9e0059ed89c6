// sio/emitter.hpp (actors/sio/emitter.hpp)
// Socket.IO's own vocabulary for sending from application code:
//
//   io.to("lobby").except("muted").emit("tick", n, state);   // Node: same
//   io.of("/admin").emit("notice", "restart at noon");
//   io.to(socket_id).join("lobby");                           // socketsJoin
//   io.to_user("alice").disconnect();                          // disconnectSockets
//
// An emitter is a small value (a hub handle and a target); every call sends
// one hub command, from any thread, actor or not. Packets are encoded once
// per call and shared by every recipient.
#pragma once

#include <sio/args.hpp>
#include <sio/event_handler.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sio {

class emitter {
public:
  /// Sends nothing (no hub).
  emitter() = default;
  /// Everyone in namespace `nsp` of `hub`.
  explicit emitter(hub_actor hub, std::string nsp = "/");

  /// Everyone in namespace `nsp` (rooms, user and exceptions dropped).
  emitter of(std::string nsp) const;
  /// Narrows to the sockets in `room` of the namespace; called again, adds
  /// rooms (a socket in several of them gets one copy). A socket id is a
  /// room too: `to(socket.socket_id)` is that socket. Replaces a
  /// to_user(); the empty room has no sockets (join/leave ignore it).
  emitter to(std::string room) const;
  /// The same as to(): Node's `in`.
  emitter in(std::string room) const { return to(std::move(room)); }
  /// The sockets in this namespace of user `user_id`'s connections (a
  /// connection's user is set by the token's `sub` or a connect verdict);
  /// replaces rooms. The empty user has no sockets.
  emitter to_user(std::string user_id) const;
  /// Leaves out the sockets in `room` (called again, in any of them).
  emitter except(std::string room) const;

  /// Emits event `name` with `a` to the target.
  void emit(std::string_view name, const args& a = {}) const;
  /// The same with the values themselves: `io.emit("tick", 1, "two")`.
  /// (Not for one args, which the overload above takes: a non-const args
  /// would pick this template and recurse.)
  template <class T, class... Ts,
            class = std::enable_if_t<(sizeof...(Ts) > 0)
                                     || !std::is_same_v<std::decay_t<T>, args>>>
  void emit(std::string_view name, T&& first, Ts&&... rest) const {
    emit(name, args{std::forward<T>(first), std::forward<Ts>(rest)...});
  }

  /// The target's connections join `room` of this namespace
  /// (`socketsJoin`). Fire and forget; the hub applies it before any later
  /// command sent from the same thread or actor.
  void join(std::string room) const;
  /// The target's connections leave `room` (`socketsLeave`).
  void leave(std::string room) const;
  /// Disconnects the target's sockets from this namespace; also closes
  /// their Engine.IO connections when `close` (`disconnectSockets(close)`).
  void disconnect(bool close = false) const;

  /// The command for an emit that waits for every target socket's ack:
  /// Node's `io.to(room).timeout(ms).emitWithAck(name, ...)`. request() it
  /// from hub() (with a timeout above `timeout`); the answer is an
  /// ack_result: who answered what, who did not.
  acked_send_command with_acks(std::chrono::milliseconds timeout,
                               std::string_view name, const args& a = {}) const;

  /// The hub command target this emitter stands for (for request()s of
  /// exists_query / list_query / membership_command with a reply).
  target to_target() const;
  /// The hub.
  const hub_actor& hub() const noexcept { return hub_; }
  /// The namespace.
  const std::string& nsp() const noexcept { return nsp_; }

private:
  hub_actor hub_;
  std::string nsp_ = "/";
  std::vector<std::string> rooms_;
  std::vector<std::string> except_;
  /// Set by to_user(): "" is a user too (one that no connection has).
  std::optional<std::string> user_;
};

} // namespace sio
