#include "actors/session_registry.hpp"

namespace sio {

void session_registry::add(const std::string& sid, entry e) {
  std::lock_guard<std::mutex> guard{mtx_};
  map_.insert_or_assign(sid, std::move(e));
}

void session_registry::remove(const std::string& sid) {
  std::lock_guard<std::mutex> guard{mtx_};
  map_.erase(sid);
}

std::optional<session_registry::entry>
session_registry::find(const std::string& sid) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = map_.find(sid);
  if (i == map_.end())
    return std::nullopt;
  return i->second;
}

std::vector<session_registry::entry> session_registry::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<entry> out;
  out.reserve(map_.size());
  for (auto& [sid, e] : map_)
    out.push_back(e);
  return out;
}

size_t session_registry::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return map_.size();
}

} // namespace sio
