#include "actors/rest_query.hpp"

namespace sio::rest {

std::vector<std::string> values(const query_list& q, std::string_view key,
                                bool split_commas) {
  std::vector<std::string> out;
  for (auto& [k, v] : q) {
    if (k != key)
      continue;
    if (!split_commas) {
      out.push_back(v);
      continue;
    }
    std::string_view rest = v;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto part = rest.substr(0, comma);
      if (!part.empty())
        out.emplace_back(part);
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::optional<std::string> value(const query_list& q, std::string_view key) {
  for (auto& [k, v] : q)
    if (k == key)
      return v;
  return std::nullopt;
}

} // namespace sio::rest
