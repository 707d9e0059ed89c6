// lib/cluster/adapter_encoders.hpp
// What our node publishes to @socket.io/redis-adapter 8.x peers: answers to
// their requests on "<key>-response#<nsp>#" and our own requests on
// "<key>-request#<nsp>#", byte for byte as a Node adapter writes them
// (adapter_requests.hpp says who waits for what). JSON text unless noted.
#pragma once

#include "lib/cluster/adapter_codec.hpp"
#include "lib/cluster/adapter_requests.hpp"
#include <sio/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::cluster {

// --- our answers to a Node peer's requests (JSON text unless noted) -----

std::string encode_sockets_response(std::string_view request_id, const std::vector<std::string>& ids);
std::string encode_all_rooms_response(std::string_view request_id, const std::vector<std::string>& rooms);
std::string encode_fetch_response(std::string_view request_id, const std::vector<fetched_socket>& sockets);
/// {type:6, requestId, data}: `data_json` is the JSON of the one ack argument.
std::string encode_server_side_emit_response(std::string_view request_id,
                                             std::string_view data_json = "null");
std::string encode_client_count(std::string_view request_id, uint64_t client_count);
/// msgpack {type:9, requestId, packet}: `ack_args_json` is a client ACK's
/// data (the JSON array, placeholders numbering `attachments`); packet is
/// its first element (omitted, i.e. undefined, when the array is empty).
protocol::result<std::string> encode_broadcast_ack(std::string_view request_id,
                                                   std::string_view ack_args_json,
                                                   const std::vector<std::string>& attachments);

// --- our requests to the cluster, as a Node adapter writes them ----------

std::string encode_remote_join(std::string_view uid, const broadcast_opts& opts,
                               const std::vector<std::string>& rooms);
std::string encode_remote_leave(std::string_view uid, const broadcast_opts& opts,
                                const std::vector<std::string>& rooms);
std::string encode_remote_disconnect(std::string_view uid, const broadcast_opts& opts, bool close);
std::string encode_fetch_request(std::string_view uid, std::string_view request_id,
                                 const broadcast_opts& opts);
std::string encode_all_rooms_request(std::string_view uid, std::string_view request_id);
std::string encode_sockets_request(std::string_view uid, std::string_view request_id,
                                   const std::vector<std::string>& rooms);
/// `data_json`: the JSON array [event, ...args]; with a request id, peers answer.
std::string encode_server_side_emit(std::string_view uid, std::string_view data_json,
                                    std::optional<std::string_view> request_id = std::nullopt);
/// msgpack {uid, requestId, type:7, packet, opts} from b (uid, nsp, opts, frames).
protocol::result<std::string> encode_broadcast_request(std::string_view request_id,
                                                       const adapter_broadcast& b);

/// What Node's Socket#buildHandshake holds, for a REMOTE_FETCH answer.
struct handshake_info {
  std::vector<std::pair<std::string, std::string>> headers; ///< lower-case names
  int64_t issued_ms = 0;   ///< connection time, ms since the epoch
  std::string address;     ///< remote address
  bool secure = false;     ///< TLS
  std::string url;         ///< request URL (path and query)
  std::vector<std::pair<std::string, std::string>> query;
  std::string auth_json = "{}"; ///< the CONNECT packet's auth object
};

/// {"headers","time","address","xdomain","secure","issued","url","query","auth"}
/// as Node writes it: time is `new Date(issued) + ""` in UTC ("Mon Dec 07
/// 2026 16:53:48 GMT+0000 (Coordinated Universal Time)"), xdomain is
/// whether an origin header is present.
std::string handshake_json(const handshake_info& h);

/// JS `new Date(ms).toString()` for the UTC time zone.
std::string js_date_string(int64_t ms);

} // namespace sio::cluster
