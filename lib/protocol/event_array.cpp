#include "lib/protocol/event_array.hpp"

namespace sio::protocol {

std::string event_array(std::string_view name, const args& a) {
  args head;
  head.push(name);
  auto rest = a.elements();
  std::string out;
  out.reserve(head.elements().size() + rest.size() + 3);
  out.push_back('[');
  out.append(head.elements());
  if (!rest.empty()) {
    out.push_back(',');
    out.append(rest);
  }
  out.push_back(']');
  return out;
}

} // namespace sio::protocol
