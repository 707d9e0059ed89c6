#include "lib/http/request.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/url.hpp"

namespace sio::http {

std::string_view request::path() const {
  return protocol::split_target(target).path;
}

std::string_view request::query() const {
  return protocol::split_target(target).query;
}

const std::string* request::find_header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (protocol::ascii_iequals(k, name))
      return &v;
  return nullptr;
}

std::optional<std::vector<std::pair<std::string, std::string>>>
parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq), true);
    auto value = percent_decode(
      eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1),
      true);
    if (!key || !value)
      return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

} // namespace sio::http
