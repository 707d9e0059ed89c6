// lib/routing/odata_parser.hpp
// The recursive-descent parser of OData filter tokens: builds the typed AST
// of an odata_filter, checks operand types and bounds the nesting depth.
#pragma once

#include "lib/routing/odata_filter.hpp"
#include "lib/routing/odata_lexer.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sio::routing {

/// A friend of odata_filter: it writes the filter's private AST.
struct odata_parser {
  /// Parses `toks` (as odata::lex made them) into `nodes`: sets `root` to the
  /// index of the whole boolean expression, or returns the first failure.
  static std::optional<odata::failure>
  parse(std::vector<odata::token>& toks, std::vector<odata_filter::node>& nodes,
        size_t max_depth, uint32_t& root);

private:
  class grammar;
};

} // namespace sio::routing
