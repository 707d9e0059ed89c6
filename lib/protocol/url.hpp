// lib/protocol/url.hpp
// Splitting a URL or HTTP request target into its parts (RFC 3986 §3): the
// one splitter behind request paths and queries, absolute-form targets,
// upstream URLs and JWT audiences. Views only: no decoding, no validation
// beyond finding the parts.
#pragma once

#include <string_view>

namespace sio::protocol {

/// The parts of `scheme://authority/path?query#fragment`, as views into the
/// split text. A text that does not start with `scheme://` (an origin-form
/// target such as "/a?b", or "*") has an empty scheme and authority.
struct url_parts {
  std::string_view scheme;     ///< "http"; empty when there is no "scheme://"
  std::string_view authority;  ///< "user@host:port" as written
  std::string_view target;     ///< all after the authority: path?query#fragment
  std::string_view path;       ///< target up to the first '?' or '#'
  std::string_view query;      ///< between '?' and '#', both excluded
  std::string_view fragment;   ///< after '#', excluded
  bool has_query = false;      ///< a '?' is there (the query may be empty)
  bool has_fragment = false;   ///< a '#' is there (the fragment may be empty)
};

/// Splits `url` (an absolute URL, or a request target in any form) into its
/// parts.
url_parts split_url(std::string_view url) noexcept;

/// Splits an origin-form request target ("/p?q#f") into path, query and
/// fragment without looking for a scheme: "ftp://h/p" is all path here.
url_parts split_target(std::string_view target) noexcept;

} // namespace sio::protocol
