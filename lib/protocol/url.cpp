#include "lib/protocol/url.hpp"

namespace sio::protocol {

namespace {

constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Length of the scheme `url` starts with (RFC 3986 §3.1: ALPHA *( ALPHA /
/// DIGIT / "+" / "-" / "." )), not yet checked for the "://" after it.
size_t scheme_length(std::string_view url) {
  if (url.empty() || !is_alpha(url[0]))
    return 0;
  size_t i = 1;
  while (i < url.size()
         && (is_alpha(url[i]) || (url[i] >= '0' && url[i] <= '9')
             || url[i] == '+' || url[i] == '-' || url[i] == '.'))
    ++i;
  return i;
}

} // namespace

url_parts split_url(std::string_view url) noexcept {
  auto n = scheme_length(url);
  if (n == 0 || url.substr(n, 3) != "://")
    return split_target(url);
  auto after = url.substr(n + 3);
  auto end = after.find_first_of("/?#");
  auto p = split_target(end == std::string_view::npos ? std::string_view{}
                                                      : after.substr(end));
  p.scheme = url.substr(0, n);
  p.authority = after.substr(0, end);
  return p;
}

url_parts split_target(std::string_view target) noexcept {
  url_parts p;
  p.target = target;
  std::string_view rest = target;
  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    p.has_fragment = true;
    p.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  if (auto question = rest.find('?'); question != std::string_view::npos) {
    p.has_query = true;
    p.query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  p.path = rest;
  return p;
}

} // namespace sio::protocol
