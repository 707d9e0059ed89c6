// actors/rest_api.hpp
// The REST data plane (Azure Web PubSub API, protocol.md §6): checks the
// bearer JWT, parses routes, bodies and OData filters once per request, and
// turns each call into a hub command; answers with the status codes the
// Azure SDKs expect and JSON error bodies.
#pragma once

#include "actors/cluster_hub.hpp"
#include "actors/interfaces.hpp"
#include "lib/auth/access_keys.hpp"
#include "lib/http/server.hpp"
#include "lib/metrics/metrics.hpp"

#include <caf/actor_system.hpp>

#include <map>
#include <memory>
#include <string>

namespace sio {

/// What the REST API needs to know.
struct rest_settings {
  auth::access_keys keys;
  /// scheme://host:port the backend signs its tokens for (the JWT `aud`
  /// of a REST call is the request URL under this endpoint).
  std::string public_endpoint;
  /// Hubs by name (in a cluster: their fronts, which ask every node).
  std::map<std::string, hub_actor> hubs;
  /// In a cluster, the hubs' fronts by name: sends and closes are
  /// confirmed by Redis before the call is answered (503 when it cannot).
  std::map<std::string, cluster_hub_actor> fronts;
  /// Largest packet in a send body (Engine.IO maxPayload).
  size_t max_packet_size = 1000000;
  /// Counts calls by status (may be null).
  std::shared_ptr<metrics::registry> metrics;
};

/// Serves `/api/...`; thread-safe, handlers run on I/O threads.
class rest_api {
public:
  rest_api(caf::actor_system& sys, rest_settings settings);

  /// Handles the request if its path is under /api/; false otherwise.
  bool handle(const http::exchange& ex) const;

private:
  caf::actor_system& sys_;
  rest_settings settings_;
};

} // namespace sio
