// actors/rest_call.hpp
// Internal to the REST layer: one authorized call on a hub (the request,
// its query and the hub's handles) and how it asks the hub. Azure's
// operations are in rest_hub_calls.cpp, this service's extensions (acked
// sends, socket listings) in rest_extensions.cpp.
#pragma once

#include "actors/rest_answers.hpp"
#include "actors/rest_api.hpp"
#include "actors/rest_query.hpp"
#include "lib/routing/odata_filter.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sio::rest {

/// The answer to a hub's error reply: 503 when the cluster could not be
/// reached (its fronts fail with runtime_error and the reason), 501 for a
/// feature the hub does not offer (feature_disabled), else 500.
http::response failure_response(const caf::error& err);

/// A short-lived actor that asks a hub and answers the HTTP exchange from the
/// reply (the I/O thread must not block). The values are spawn arguments,
/// not lambda captures: CAF 0.17 trips UBSan when a function actor is
/// spawned without arguments.
template <class Result, class Command, class OnReply>
void ask_actor(caf::event_based_actor* self, hub_actor hub, Command cmd,
               http::exchange ex, OnReply on_reply, std::chrono::milliseconds wait) {
  self->request(hub, wait, std::move(cmd))
    .then(
      [self, ex, on_reply](Result& result) {
        ex.respond(on_reply(result));
        self->quit();
      },
      [self, ex](caf::error& err) {
        ex.respond(failure_response(err));
        self->quit();
      });
}

/// Asks the hub; answers the exchange with on_reply(result), or an error
/// when the hub fails or does not answer within `wait`.
template <class Result, class Command, class OnReply>
void ask(caf::actor_system& sys, hub_actor hub, Command cmd,
         http::exchange ex, OnReply on_reply,
         std::chrono::milliseconds wait = std::chrono::seconds{10}) {
  sys.spawn(ask_actor<Result, Command, OnReply>, std::move(hub), std::move(cmd),
            std::move(ex), std::move(on_reply), wait);
}

/// One authorized call on a hub: /api/hubs/{hub}/<route>.
struct call {
  caf::actor_system& sys;
  const rest_settings& cfg;
  const http::exchange& ex;
  const http::request& req;
  query_list query;
  hub_actor hub;
  std::string hub_name;
  const cluster_hub_actor* front;  ///< in a cluster; else null

  /// Sends commands to the hub; answers `status` (at once, or in a cluster
  /// once Redis took them).
  void command(std::vector<confirmed_command> commands, int status);

  /// The filter of `filter=` (empty = none); nullopt after answering 400.
  std::optional<std::shared_ptr<const routing::odata_filter>> filter();

  std::optional<target> make_target(target_kind kind, std::string name);

  /// The body of a send as Engine.IO payload text.
  std::optional<std::string> payload_text();

  /// Query parameter `key` as a whole number in [lo, hi]; `absent` when it
  /// is not there; nullopt after answering 400 InvalidArgument `message`.
  std::optional<int64_t> whole_number(std::string_view key, int64_t lo, int64_t hi,
                                      int64_t absent, const char* message);

  /// `ackTimeout=` of a send: 0 when absent; nullopt after answering 400.
  std::optional<int64_t> ack_timeout();

  /// POST .../:send?ackTimeout=ms: one EVENT to the target's sockets, each
  /// with its own ack id; 200 with every socket's answer once all answered
  /// or the timeout passed.
  void acked_send(target to, int64_t timeout_ms);

  /// POST .../:send: packets to the target, with DISCONNECT intercepted.
  void send(target to);

  /// POST :addToGroups / :removeFromGroups {"groups":[..],"filter":".."}.
  void groups_by_filter(bool add);

  void generate_token();

  void token_request_values();

  void exists(target to);

  void close(target_kind kind, std::string name);

  void membership(target to, std::vector<std::string> groups, bool add,
                  bool not_found_is_404);

  /// `maxpagesize=` of a listing (1..200, default 200); nullopt after
  /// answering 400.
  std::optional<size_t> page_size();

  void list_group(std::string group);

  /// GET /api/hubs/{hub}/sockets (an extension): the target's sockets
  /// with their rooms, a page at a time.
  void list_sockets();

  /// Routes /api/hubs/{hub}/<rest>.
  void route(const std::vector<std::string>& seg);

  /// Leaves every group except the Socket.IO ones the service manages
  /// (namespace and socket groups stay, or the sockets would go deaf).
  void remove_from_all_groups(target to);

  void not_found();
};

} // namespace sio::rest
