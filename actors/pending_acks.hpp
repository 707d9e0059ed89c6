// actors/pending_acks.hpp
// Internal to the hub: the acked sends it awaits (acked_send_command). Each
// recipient socket gets its own ack id; a client's ACK, the socket's end or
// the send's timeout settles it; a send is answered once all are settled.
// Bounded by count, per hub and per connection.
#pragma once

#include <sio/event_handler.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sio {

/// The acked sends a hub awaits, and their answers so far.
class pending_acks {
public:
  struct limits {
    size_t max_sends = 1024;          ///< acked sends awaited at once per hub
    size_t max_per_connection = 64;   ///< acks awaited at once per connection
  };

  /// A socket an acked send goes to.
  struct recipient {
    std::string socket_id;
    std::string connection_id;
    std::string user_id;
  };

  explicit pending_acks(limits l) : limits_(l) {}

  /// Why a send to `recipients` cannot be awaited now (empty: it can).
  std::string refusal(const std::vector<recipient>& recipients) const;

  /// Registers a send awaiting each recipient in `nsp`; returns its id and
  /// writes each recipient's ack id, in order, to `ack_ids`.
  uint64_t open(std::string nsp, std::vector<recipient> recipients,
                std::vector<uint64_t>& ack_ids);

  /// A client's answer; the send's id when this completed it. An unknown
  /// id, or one given to another connection or namespace, is ignored.
  std::optional<uint64_t> answer(std::string_view connection_id,
                                 std::string_view nsp, uint64_t ack_id,
                                 std::string args,
                                 std::vector<std::string> attachments);

  /// The connection's sockets in `nsp` (all of them when `nsp` is null)
  /// went: those awaited are settled with `reason`. The sends this
  /// completed.
  std::vector<uint64_t> gone(std::string_view connection_id,
                             const std::string* nsp, const std::string& reason);

  /// The send's result, everything still awaited counted as timed out; the
  /// send is forgotten. Empty for an unknown (already answered) id.
  std::optional<ack_result> finish(uint64_t send_id);

  size_t sends() const noexcept { return sends_.size(); }
  size_t awaited() const noexcept { return awaited_.size(); }

private:
  struct awaited_ack {
    uint64_t send_id = 0;
    std::string nsp;
    recipient to;
  };
  struct send_state {
    ack_result result;
    std::vector<uint64_t> ack_ids;  ///< every ack id it gave, settled or not
    size_t open = 0;                ///< recipients not yet settled
  };

  /// Settles one awaited ack (erased from both indexes); the send's id
  /// when it has nothing left to wait for.
  std::optional<uint64_t> settle(uint64_t ack_id);

  limits limits_;
  uint64_t next_send_ = 1;
  uint64_t next_ack_ = 1;
  std::unordered_map<uint64_t, send_state> sends_;
  std::unordered_map<uint64_t, awaited_ack> awaited_;
  /// connection id -> its awaited ack ids
  std::unordered_map<std::string, std::vector<uint64_t>> by_connection_;
};

} // namespace sio
