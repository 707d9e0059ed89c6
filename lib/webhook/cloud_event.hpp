// lib/webhook/cloud_event.hpp
// Azure's webhook contract for Socket.IO serverless hubs (protocol.md §4):
// the CloudEvents requests for connect / connected / disconnected / user
// events, event-handler matching, urlTemplate expansion, the abuse-protection
// handshake and the reading of upstream answers. Pure values: no I/O, no CAF.
#pragma once

#include "lib/auth/access_keys.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::webhook {

/// A header name and value.
using header = std::pair<std::string, std::string>;

/// Name/values pairs as the connect body wants them (values are strings).
using multimap = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// A request ready to hand to an HTTP client (which adds Host and
/// Content-Length).
struct request {
  std::string method;            ///< "POST" or "OPTIONS"
  std::string url;               ///< absolute
  std::vector<header> headers;   ///< in sending order
  std::string body;

  /// First header with this name (case-insensitive), or nullptr.
  const std::string* find_header(std::string_view name) const;
};

/// Who an event is about (mirrors the actors' socket_ref).
struct socket_info {
  std::string hub;
  std::string connection_id;
  std::string nsp;        ///< "/" or "/chat"
  std::string socket_id;
  std::string user_id;    ///< empty when anonymous: ce-userId is left out
};

/// The kinds of events, with their Azure names.
enum class event_kind { connect, connected, disconnected, message };

/// "connect", "connected", "disconnected" or "message".
std::string_view to_string(event_kind k);

/// Facts of the service every request carries.
struct service_identity {
  /// WebHook-Request-Origin: the host of the public endpoint (no port), the
  /// host a backend writes in its connection string's Endpoint (§4.8).
  std::string origin_host;
  /// ce-signature is computed with every non-empty key (§4.3).
  auth::access_keys keys;
};

/// The per-request ce-id and ce-time; `make()` draws a fresh one.
struct event_stamp {
  std::string id;    ///< unique event id
  std::string time;  ///< RFC 3339 UTC, e.g. 2024-01-01T00:00:00Z
  /// A random 22-character id and the current time.
  static event_stamp make();
};

/// RFC 3339 UTC with second precision: 2024-01-01T00:00:00Z.
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

// -- event handler settings ---------------------------------------------------

/// One configured upstream (Azure's eventHandlers[] entry).
struct handler_rule {
  std::string url_template;                ///< with {hub} and {event}
  std::string user_event_pattern;          ///< "*", "a,b", "a" or empty
  std::vector<std::string> system_events;  ///< connect/connected/disconnected
};

/// True when `pattern` selects the user event `name`: `*` = all, otherwise
/// a comma-separated list (items trimmed, compared exactly); empty = none.
bool matches_user_event(std::string_view pattern, std::string_view name);

/// The first rule that takes this event (ordered; first match wins), or
/// nullopt. `event_name` is only used for event_kind::message.
std::optional<size_t> match_rule(const std::vector<handler_rule>& rules,
                                 event_kind kind, std::string_view event_name);

/// Substitutes {hub} (as is: hub names are URL-safe by validation) and
/// {event} (URL-encoded) in every occurrence.
std::string expand_url(std::string_view url_template, std::string_view hub,
                       std::string_view event);

// -- building requests ---------------------------------------------------------

/// The common headers of §4.2 in this order: Content-Type, ce-specversion,
/// ce-type, ce-source, ce-id, ce-time, ce-signature, ce-connectionId, ce-hub,
/// ce-eventName, ce-namespace, ce-socketId, [ce-userId], ce-awpsversion,
/// WebHook-Request-Origin.
std::vector<header> event_headers(const service_identity& id,
                                  const socket_info& s, std::string_view type,
                                  std::string_view event_name,
                                  std::string_view content_type,
                                  const event_stamp& stamp);

/// The connect body: all five keys of §4.4 (claims, query, headers as string
/// arrays, subprotocols [], clientCertificates []) plus `auth` when
/// `auth_json` is a JSON object.
std::string connect_body(const multimap& claims, const multimap& query,
                         const multimap& headers, std::string_view auth_json);

/// {"reason":"..."}.
std::string disconnected_body(std::string_view reason);

/// The message body: the Engine.IO packet text, then for a binary event each
/// attachment as `\x1e` `b` base64 (the polling payload form, §4.7).
std::string message_body(std::string_view packet,
                         const std::vector<std::string>& attachments);

/// message_body(packet, attachments).size(), without building it.
size_t message_body_size(std::string_view packet,
                         const std::vector<std::string>& attachments) noexcept;

/// POST azure.webpubsub.sys.connect.
request connect_request(const service_identity& id, const handler_rule& rule,
                        const socket_info& s, const multimap& claims,
                        const multimap& query, const multimap& headers,
                        std::string_view auth_json, const event_stamp& stamp);

/// POST azure.webpubsub.sys.connected, body {}.
request connected_request(const service_identity& id, const handler_rule& rule,
                          const socket_info& s, const event_stamp& stamp);

/// POST azure.webpubsub.sys.disconnected, body {"reason":...}.
request disconnected_request(const service_identity& id,
                             const handler_rule& rule, const socket_info& s,
                             std::string_view reason,
                             const event_stamp& stamp);

/// POST azure.webpubsub.user.message, text/plain.
request message_request(const service_identity& id, const handler_rule& rule,
                        const socket_info& s, std::string_view event_name,
                        std::string_view packet,
                        const std::vector<std::string>& attachments,
                        const event_stamp& stamp);

/// The reason sent in `disconnected`: "" for a normal close (the client's
/// namespace DISCONNECT), the Socket.IO reason otherwise (§4.6).
std::string disconnected_reason(std::string_view session_reason);

// -- abuse protection ----------------------------------------------------------

/// OPTIONS <urlTemplate with {event}=validate> with WebHook-Request-Origin
/// and ce-awpsversion (the express SDK ignores requests without it).
request validation_request(const service_identity& id, const handler_rule& rule,
                           std::string_view hub);

/// Why an upstream passed or failed the handshake.
struct validation_result {
  bool allowed = false;
  std::string reason;  ///< when not allowed
};

/// Checks the OPTIONS answer: 2xx and some WebHook-Allowed-Origin value
/// (headers may repeat, values may be comma-separated) equal to `*`, to the
/// origin host or to `origin_host_port`, case-insensitively.
validation_result check_validation(int status,
                                   const std::vector<header>& headers,
                                   std::string_view origin_host,
                                   std::string_view origin_host_port);

// -- reading answers -------------------------------------------------------------

/// Accept, or reject with a message for the client's CONNECT_ERROR.
struct connect_decision {
  bool accepted = false;
  std::string message;  ///< when rejected
  /// When accepted with a Web PubSub-style JSON body (protocol.md §4.4):
  /// its `userId` (empty = none) and `groups` (strings only, at most
  /// max_connect_groups); other keys are ignored.
  std::string user_id;
  std::vector<std::string> groups;
};

/// Groups taken from one connect answer; more are ignored.
inline constexpr size_t max_connect_groups = 100;

/// 2xx accepts (see connect_decision for the body). Otherwise the message is the `message` string of a JSON
/// object body, else the trimmed body text (at most 512 bytes, cut at a
/// UTF-8 boundary), else "upstream answered <status>".
connect_decision decide_connect(int status, std::string_view body);

/// {"message":"..."} with JSON escaping (the CONNECT_ERROR payload).
std::string error_json(std::string_view message);

/// What goes back to the client for a message answer: a 2xx body verbatim;
/// nothing for an empty body or a non-2xx status.
std::string message_reply(int status, std::string_view body);

} // namespace sio::webhook
