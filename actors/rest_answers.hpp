// actors/rest_answers.hpp
// The answers of the REST API in the shapes the Azure SDKs expect: a JSON
// {code, message} error with x-ms-error-code, or a bare status.
#pragma once

#include "lib/http/response.hpp"

#include <string>
#include <string_view>

namespace sio::rest {

/// The Azure error shape: JSON {code, message} plus x-ms-error-code. The
/// message may echo request text (filters, names): response::error makes it
/// valid UTF-8.
http::response error(int status, std::string_view code,
                     std::string_view message);

/// The Azure message for a filter that does not parse. The filter is echoed
/// up to the parser's length limit; a longer one (refused for its length)
/// only by its start, so that a 1 MB filter is not a 1 MB answer.
std::string filter_error(std::string_view text, const std::string& why);

/// Appends `"key":` and `value` as a JSON string, or null when `value` is
/// empty (a user id of an anonymous connection).
void append_string_or_null(std::string& out, std::string_view key, std::string_view value);

/// A response with `status` and no body.
http::response status_only(int status);

} // namespace sio::rest
