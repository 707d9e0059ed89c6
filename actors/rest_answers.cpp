#include "actors/rest_answers.hpp"

#include "lib/protocol/json_text.hpp"
#include "lib/routing/odata_filter.hpp"

namespace sio::rest {

http::response error(int status, std::string_view code,
                     std::string_view message) {
  auto r = http::response::error(status, code, message);
  r.headers.emplace_back("x-ms-error-code", std::string{code});
  return r;
}

/// The Azure message for a filter that does not parse. The filter is echoed
/// up to the parser's length limit; a longer one (refused for its length)
/// only by its start, so that a 1 MB filter is not a 1 MB answer.
std::string filter_error(std::string_view text, const std::string& why) {
  const size_t echo = routing::odata_limits{}.max_length;
  std::string shown{text.substr(0, echo)};
  if (text.size() > echo)
    shown += "...";
  return "Invalid syntax for '" + shown + "': " + why
         + " (Parameter 'filter')";
}

http::response status_only(int status) {
  http::response r;
  r.status = status;
  return r;
}

void append_string_or_null(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":";
  if (value.empty())
    out += "null";
  else
    protocol::append_json_string(out, value);
}

} // namespace sio::rest
