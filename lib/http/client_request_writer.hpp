// lib/http/client_request_writer.hpp
// The bytes of one client request: the request line, the caller's headers
// (checked so that none can split the request) and Content-Length.
#pragma once

#include "lib/http/client.hpp"

#include <string>
#include <string_view>

namespace sio::http::detail {

/// An RFC 9110 token (a method or header name), not empty.
bool is_token(std::string_view s);

/// True if `s` holds a control character.
bool has_ctl(std::string_view s);

/// The request's bytes: the target (path and query) and Host value given.
/// Headers that are the client's own or would split the request are dropped.
std::string serialize(const client_request& req, std::string_view target,
                      std::string_view host);

} // namespace sio::http::detail
