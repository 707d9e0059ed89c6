#include "lib/protocol/event_array.hpp"

namespace sio::protocol {

std::string event_array(std::string_view name, const args& a) {
  args head;
  head.push(name);
  auto out = head.json(); // ["name"]
  auto rest = a.json();   // [...]
  if (rest.size() > 2) {
    out.back() = ',';
    out.append(rest, 1, std::string::npos);
  }
  return out;
}

} // namespace sio::protocol
