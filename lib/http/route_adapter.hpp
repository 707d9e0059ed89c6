// lib/http/route_adapter.hpp
// Serves an application's route (<sio/http_route.hpp>) on an exchange: the
// request becomes plain values, the responder answers the exchange.
#pragma once

#include "lib/http/router.hpp"

#include <sio/http_route.hpp>

#include <string_view>

namespace sio::http {

/// The request of `ex` as a route handler sees it (path and `rest`
/// percent-decoded); nullopt if the path has a malformed escape.
std::optional<http_request> route_request_of(const exchange& ex,
                                             std::string_view rest);

/// The response `r` as the server sends it.
response to_response(http_response r);

/// A router handler that runs `h` (400 JSON for a malformed path).
route_handler adapt_route(http_route_handler h);

} // namespace sio::http
