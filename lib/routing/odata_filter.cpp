#include "lib/routing/odata_filter.hpp"

#include "lib/routing/odata_evaluator.hpp"
#include "lib/routing/odata_lexer.hpp"
#include "lib/routing/odata_parser.hpp"

#include <algorithm>
#include <utility>

namespace sio::routing {

using protocol::result;

result<odata_filter> odata_filter::parse(std::string_view text,
                                         odata_limits limits) {
  using res = result<odata_filter>;
  if (text.size() > limits.max_length)
    return res::fail("filter too long: " + std::to_string(text.size())
                     + " characters, limit "
                     + std::to_string(limits.max_length));
  odata_filter f;
  f.text_ = std::string{text};
  std::vector<odata::token> toks;
  auto syntax_error = [&text](const odata::failure& e) {
    return res::fail("Syntax error at position " + std::to_string(e.pos)
                     + " in '" + std::string{text} + "': " + e.reason);
  };
  if (auto e = odata::lex(text, toks))
    return syntax_error(*e);
  if (toks.size() == 1) {
    f.nodes_.push_back(node{});
    f.root_ = 0;
    return res::ok(std::move(f));
  }
  if (auto e = odata_parser::parse(toks, f.nodes_, limits.max_depth, f.root_))
    return syntax_error(*e);
  return res::ok(std::move(f));
}

bool odata_filter::matches(const filter_subject& subject) const {
  if (nodes_.empty())
    return true;
  return odata_evaluator::matches(nodes_, root_, subject);
}

bool odata_filter::candidate_groups(std::vector<std::string>& out) const {
  if (nodes_.empty())
    return false;
  std::vector<std::string> found;
  if (!odata_evaluator::candidates(nodes_, root_, found))
    return false;
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  out = std::move(found);
  return true;
}

} // namespace sio::routing
