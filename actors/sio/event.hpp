// sio/event.hpp (actors/sio/event.hpp)
// Reading a client's event and answering it without touching packet text:
// its name and arguments as RapidJSON values, its binary attachments, and
// the message_reply that acks it or emits back to the sender.
#pragma once

#include <sio/args.hpp>
#include <sio/event_handler.hpp>

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sio {

/// A client event, decoded once.
class event {
public:
  /// Decodes `ev`; nullopt when its packet is not a valid EVENT (a handler
  /// then answers nothing, or closes the sender with message_reply::close).
  static std::optional<event> read(const message_event& ev);

  /// The event name (the first array element).
  const std::string& name() const noexcept { return name_; }
  /// The namespace, e.g. "/".
  const std::string& nsp() const noexcept { return nsp_; }
  /// The arguments after the name: a JSON array (placeholders of binary
  /// arguments included: see binary_at).
  const rapidjson::Document& args() const noexcept { return args_; }
  /// Argument `i`, or null when there are fewer arguments.
  const rapidjson::Value* arg(size_t i) const noexcept;
  /// Number of arguments after the name.
  size_t size() const noexcept;
  /// The attachment a placeholder argument stands for; null when `v` is not
  /// a placeholder of this event.
  const std::string* binary_at(const rapidjson::Value& v) const noexcept;
  /// The binary attachments, in order.
  const std::vector<std::string>& attachments() const noexcept { return attachments_; }
  /// The client waits for an ack.
  bool wants_ack() const noexcept { return ack_id_.has_value(); }

private:
  std::string name_;
  std::string nsp_;
  rapidjson::Document args_;
  std::vector<std::string> attachments_;
  std::optional<uint64_t> ack_id_;
};

/// The arguments of `ev` as the client sent them, attachments included,
/// for acking, emitting or relaying them unchanged; no JSON decode when the
/// session has located them (message_event::args_offset). nullopt when ev
/// is not a valid EVENT.
std::optional<args> args_of(const message_event& ev);

/// The reply that acks `ev` with `a` (the client's callback gets them);
/// nothing when the client did not ask for an ack.
message_reply ack(const message_event& ev, const args& a = {});

/// The same with the values themselves: `return sio::ack(ev, 42, "ok");`.
/// (Not for one args, which the overload above takes: a non-const args
/// would pick this template and recurse.)
template <class T, class... Ts,
          class = std::enable_if_t<(sizeof...(Ts) > 0)
                                   || !std::is_same_v<std::decay_t<T>, args>>>
message_reply ack(const message_event& ev, T&& first, Ts&&... rest) {
  return ack(ev, args{std::forward<T>(first), std::forward<Ts>(rest)...});
}

/// The reply that emits `name`(a) back to the sender only, in ev's
/// namespace (`socket.emit` inside a Node handler).
message_reply emit_back(const message_event& ev, std::string_view name,
                        const args& a = {});

/// A connect rejection whose CONNECT_ERROR the client's `connect_error`
/// handler sees as `err.message == message` (and `err.data == data`, when
/// given).
connect_verdict reject(std::string_view message, const args* data = nullptr);

} // namespace sio
