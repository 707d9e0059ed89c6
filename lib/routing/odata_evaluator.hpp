// lib/routing/odata_evaluator.hpp
// Evaluates a parsed OData filter against one connection, and finds the
// groups that every connection it matches must be in.
#pragma once

#include "lib/routing/odata_filter.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sio::routing {

/// A friend of odata_filter: it reads the filter's private AST.
struct odata_evaluator {
  using node = odata_filter::node;
  using op = odata_filter::op;
  using type = odata_filter::type;

  /// True iff the expression at `root` is true for `subject`.
  static bool matches(const std::vector<node>& nodes, uint32_t root,
                      const filter_subject& subject);

  /// See odata_filter::candidate_groups; `out` may hold duplicates.
  static bool candidates(const std::vector<node>& nodes, uint32_t at,
                         std::vector<std::string>& out);

private:
  struct values;
};

} // namespace sio::routing
