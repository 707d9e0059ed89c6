#include "lib/protocol/event_offset.hpp"

namespace sio::protocol {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Where the data of an event message starts ('['), or npos when the
/// message is no event or has an ack id. `nsp` gets the namespace.
size_t event_data_start(std::string_view m, std::string_view& nsp) {
  if (m.size() < 4 || m[0] != '4' || (m[1] != '2' && m[1] != '5'))
    return std::string_view::npos;
  size_t i = 2;
  if (m[1] == '5') {  // "<attachments>-"
    size_t digits = i;
    while (i < m.size() && is_digit(m[i]))
      ++i;
    if (i == digits || i >= m.size() || m[i] != '-')
      return std::string_view::npos;
    ++i;
  }
  nsp = "/";
  if (i < m.size() && m[i] == '/') {
    auto comma = m.find(',', i);
    if (comma == std::string_view::npos)
      return std::string_view::npos;
    nsp = m.substr(i, comma - i);
    i = comma + 1;
  }
  if (i >= m.size() || m[i] != '[')
    return std::string_view::npos;  // an ack id, or no array
  return i;
}

} // namespace

std::optional<std::string_view> offset_namespace(std::string_view message) {
  std::string_view nsp;
  auto start = event_data_start(message, nsp);
  if (start == std::string_view::npos || message.back() != ']')
    return std::nullopt;
  return nsp;
}

std::string with_offset(std::string_view message, uint64_t offset) {
  auto text = std::to_string(offset);
  std::string out;
  out.reserve(message.size() + text.size() + 3);
  out.append(message.substr(0, message.size() - 1));
  // `42[]` has no event name and is not sent, but stays valid JSON here.
  if (message.size() >= 2 && message[message.size() - 2] != '[')
    out.push_back(',');
  out.push_back('"');
  out.append(text);
  out.append("\"]");
  return out;
}

std::optional<std::string> without_offset(std::string_view message) {
  if (!offset_namespace(message) || message.size() < 5
      || message.substr(message.size() - 2) != "\"]")
    return std::nullopt;
  auto open = message.rfind('"', message.size() - 3);
  if (open == std::string_view::npos || open < 1)
    return std::nullopt;
  auto digits = message.substr(open + 1, message.size() - 2 - open - 1);
  if (!parse_offset(digits))
    return std::nullopt;
  // `,"17"]` after other arguments, `"17"]` right after the '['.
  auto cut = message[open - 1] == ',' ? open - 1 : open;
  if (message[cut - 1] != '[' && cut == open)
    return std::nullopt;
  std::string out{message.substr(0, cut)};
  out.push_back(']');
  return out;
}

std::optional<uint64_t> parse_offset(std::string_view text) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c))
      return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

} // namespace sio::protocol
