// lib/protocol/json_scan.hpp
// Internal to lib/protocol: one non-recursive pass over untrusted JSON text
// (RapidJSON SAX, iterative, UTF-8 validated, depth-limited) that collects what
// the Socket.IO decoder and split_event need, without building a DOM.
#pragma once

#include <sio/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sio::protocol::detail {

/// The kind of a JSON value.
enum class json_kind : uint8_t { null, boolean, number, string, array, object };

/// Lower-case JSON name of the kind ("array", "object", ...).
std::string_view to_string(json_kind kind);

/// What scan_json checks besides well-formedness.
struct json_scan_options {
  /// Most nested arrays/objects allowed (the root container is depth 1).
  size_t max_depth = 1000;
  /// Require every {"_placeholder":true,..} to have an integer "num" < attachment_count.
  bool check_placeholders = false;
  /// Number of attachments the placeholders may refer to.
  size_t attachment_count = 0;
};

/// Facts about one JSON text, gathered in a single pass.
struct json_summary {
  /// Kind of the root value.
  json_kind root = json_kind::null;
  /// Element count of a root array (0 otherwise).
  size_t root_elements = 0;
  /// Kind of element [0] of a non-empty root array.
  json_kind first_kind = json_kind::null;
  /// Decoded text of element [0] when it is a string.
  std::string first_string;
  /// Offset just past element [0] of a non-empty root array (0 otherwise).
  size_t first_end = 0;
};

/// Validates `text` as one JSON value and summarises it; the error names the
/// problem (syntax with offset, invalid UTF-8, nesting, bad placeholder).
result<json_summary> scan_json(
  std::string_view text, const json_scan_options& opts);

} // namespace sio::protocol::detail
