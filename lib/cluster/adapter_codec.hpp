// lib/cluster/adapter_codec.hpp
// Broadcasts of @socket.io/redis-adapter 8.x / @socket.io/redis-emitter 5.x:
// the msgpack (notepack.io) array [uid, packet, opts] published on
// "<key>#<nsp>#" or "<key>#<nsp>#<room>#" (adapter_channels.hpp), with
//   packet = {type: 2, data: [event, ...args], nsp}   (Buffers as msgpack bin;
//            a Node sender always says 2, socket.io-parser makes it a
//            BINARY_EVENT when it finds Buffers)
//   opts   = {rooms: [...], except: [...], flags: {volatile?, compress?, local?, timeout?...}}
// The emitter's uid is "emitter"; a Node server's is uid2(6), fixed per
// namespace adapter. A receiver ignores its own uid and packets whose nsp
// (absent = "/") is not the namespace it serves, then applies rooms/except
// as socket.io-adapter's in-memory apply(): rooms empty = every socket of
// the namespace; else every socket in any of the rooms, once; minus every
// socket in any `except` room (a socket's own id is a room). flags.local is
// never set on the wire (a local broadcast is not published).
// Pure functions over bytes; hostile input gives result::fail, never a crash.
#pragma once

#include "lib/cluster/msgpack_json.hpp"
#include "lib/cluster/frame.hpp"
#include "lib/cluster/msgpack_value.hpp"
#include "lib/cluster/msgpack_writer.hpp"
#include <sio/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sio::cluster {

/// The `flags` object: absent members stay absent on re-encoding.
struct broadcast_flags {
  std::optional<bool> volatile_;
  std::optional<bool> compress;
  std::optional<bool> local;
  /// Milliseconds, set by io.timeout(ms) (BROADCAST requests with acks).
  std::optional<double> timeout;
  std::optional<bool> expect_single_response;

  bool is_volatile() const { return volatile_.value_or(false); }
  bool is_compressed() const { return compress.value_or(true); }
  bool is_local() const { return local.value_or(false); }
};

/// Which sockets: rooms (empty = all) minus the sockets of `except`.
struct broadcast_opts {
  std::vector<std::string> rooms;
  std::vector<std::string> except;
  broadcast_flags flags;
};

/// A decoded broadcast, with the client frames encoded once.
struct adapter_broadcast {
  /// The sender's uid ("emitter" for @socket.io/redis-emitter).
  std::string uid;
  /// The packet's namespace ("/" when absent).
  std::string nsp = "/";
  broadcast_opts opts;
  /// The event array's JSON as socket.io-parser writes it (placeholders
  /// numbered in traversal order), and the attachments in that order.
  std::string data_json;
  std::vector<std::string> attachments;
  /// The client frames without an ack id: "42[...]" / "42/nsp,[...]", or
  /// "45<n>-[...]" followed by n binary frames.
  std::vector<frame> frames;
};

/// Client frames for an event (EVENT, or BINARY_EVENT when there are
/// attachments), with an ack id for a BROADCAST with acks (each node picks
/// its own id, as Node's broadcastWithAck does).
std::vector<frame> event_frames(std::string_view nsp, std::string_view data_json,
                                const std::vector<std::string>& attachments,
                                std::optional<uint64_t> ack_id = std::nullopt);

/// The {type, data, nsp} packet of a broadcast or BROADCAST request,
/// `packet` being its decoded msgpack map: fills nsp, data_json,
/// attachments, frames of `out`. Type must be 2 or 5, data an array.
protocol::result<bool> read_packet(const mp_value& packet, adapter_broadcast& out,
                                   const codec_limits& limits);

/// The {rooms, except, flags} map (absent rooms/except = empty).
protocol::result<broadcast_opts> read_opts(const mp_value& opts);

/// Decodes a message of a broadcast channel.
protocol::result<adapter_broadcast> decode_broadcast(
  std::string_view msgpack_bytes, const codec_limits& limits = {});

/// Our client frames ("42[...]"/"45<n>-..." + attachments) as the packet map
/// {type: 2, data, nsp} a Node peer decodes to the same event with Buffers.
protocol::result<bool> write_packet(mp_writer& w, std::string_view nsp,
                                    const std::vector<frame>& frames);
void write_opts(mp_writer& w, const broadcast_opts& opts);

/// [uid, {type: 2, data, nsp}, {rooms, except, flags}] from b.uid, b.nsp,
/// b.opts and b.frames (the frames' own namespace must be b.nsp); the bytes
/// Node's adapter writes for the same broadcast. Fails when the frames are
/// not one EVENT/BINARY_EVENT with its attachments.
protocol::result<std::string> encode_broadcast(const adapter_broadcast& b);

/// The JSON-text string list (rooms) of a msgpack array; numbers become
/// their JS text (Node's rooms may be numbers).
protocol::result<std::vector<std::string>> read_string_list(const mp_value& v);

} // namespace sio::cluster
