#include "lib/http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace sio::http {

/// Every route of one path (a handful of methods at most: a vector).
struct router::path_routes {
  std::string path;  ///< for a prefix route: without the trailing '*'
  bool prefix = false;
  std::vector<std::pair<std::string, route_handler>> methods;

  const route_handler* handler_for(std::string_view method) const {
    const route_handler* get = nullptr;
    for (auto& [m, h] : methods) {
      if (m == method || m == any_method)
        return &h;
      if (m == "GET")
        get = &h;
    }
    return method == "HEAD" ? get : nullptr;
  }

  std::string allow() const {
    std::string out;
    for (auto& [m, h] : methods) {
      (void) h;
      if (!out.empty())
        out += ", ";
      out += m;
    }
    return out;
  }
};

namespace {

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

void check_route(std::string_view method, std::string_view path) {
  if (method.empty()
      || (method != router::any_method
          && !std::all_of(method.begin(), method.end(), is_token_char)))
    throw std::invalid_argument("route method '" + std::string{method}
                                + "' is not an HTTP method");
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("route path '" + std::string{path}
                                + "' does not start with '/'");
  for (char c : path)
    if (c == '?' || c == '#' || static_cast<unsigned char>(c) <= ' ')
      throw std::invalid_argument("route path '" + std::string{path}
                                  + "' has a query, fragment or space");
  auto star = path.find('*');
  if (star != std::string_view::npos && star != path.size() - 1)
    throw std::invalid_argument("route path '" + std::string{path}
                                + "': '*' only ends a path, as \"/*\"");
  if (star != std::string_view::npos && path.size() >= 2
      && path[path.size() - 2] != '/')
    throw std::invalid_argument("route path '" + std::string{path}
                                + "': a prefix route ends in \"/*\"");
}

} // namespace

router::router() = default;
router::~router() = default;
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;

void router::add(std::string method, std::string path, route_handler h) {
  check_route(method, path);
  bool prefix = path.back() == '*';
  if (prefix)
    path.pop_back(); // "/static/"
  path_routes* routes = nullptr;
  if (prefix) {
    for (auto& p : prefixes_)
      if (p->path == path)
        routes = p.get();
  } else if (auto i = exact_.find(path); i != exact_.end()) {
    routes = i->second.get();
  }
  if (!routes) {
    auto fresh = std::make_unique<path_routes>();
    fresh->path = path;
    fresh->prefix = prefix;
    routes = fresh.get();
    if (prefix) {
      prefixes_.push_back(std::move(fresh));
      std::stable_sort(prefixes_.begin(), prefixes_.end(),
                       [](auto& a, auto& b) { return a->path.size() > b->path.size(); });
    } else {
      std::string_view key = fresh->path;
      exact_.emplace(key, std::move(fresh));
    }
  }
  for (auto& [m, existing] : routes->methods) {
    (void) existing;
    if (m == method || m == any_method || method == any_method)
      throw std::invalid_argument("a route for " + method + " "
                                  + (prefix ? path + "*" : path)
                                  + " is there already");
  }
  routes->methods.emplace_back(std::move(method), std::move(h));
}

void router::set_fallback(std::function<void(exchange&)> fn) {
  fallback_ = std::move(fn);
}

const router::path_routes* router::find(std::string_view path,
                                        std::string_view& rest) const {
  if (auto i = exact_.find(path); i != exact_.end()) {
    rest = {};
    return i->second.get();
  }
  for (auto& p : prefixes_) {
    std::string_view base = p->path; // "/static/"
    if (path.size() >= base.size() && path.compare(0, base.size(), base) == 0) {
      rest = path.substr(base.size());
      return p.get();
    }
    // The prefix itself without its slash ("/static") is served too.
    if (path.size() + 1 == base.size() && base.compare(0, path.size(), path) == 0) {
      rest = {};
      return p.get();
    }
  }
  return nullptr;
}

void router::dispatch(exchange& ex) const {
  auto& req = ex.req();
  std::string_view rest;
  auto* routes = find(req.path(), rest);
  if (!routes) {
    if (fallback_)
      fallback_(ex);
    else
      ex.respond(response::error(404, "NotFound", "no such endpoint"));
    return;
  }
  if (auto* h = routes->handler_for(req.method)) {
    (*h)(ex, rest);
    return;
  }
  auto allow = routes->allow();
  auto r = response::error(405, "MethodNotAllowed", "allowed: " + allow);
  r.headers.emplace_back("Allow", std::move(allow));
  ex.respond(std::move(r));
}

} // namespace sio::http
