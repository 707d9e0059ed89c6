#include "lib/protocol/json_text.hpp"

#include "lib/protocol/utf8.hpp"

#include <cstdio>

namespace sio::protocol {

void append_json_string(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

namespace {

std::string error_body(std::string_view code_json, std::string_view message) {
  std::string out;
  out.reserve(32 + code_json.size() + message.size());
  out += "{\"code\":";
  out += code_json;
  out += ",\"message\":";
  if (is_valid_utf8(message))
    append_json_string(out, message);
  else
    append_json_string(out, utf8_sanitized(message));
  out += '}';
  return out;
}

} // namespace

std::string json_error_body(std::string_view code, std::string_view message) {
  return error_body(json_string(code), message);
}

std::string json_error_body(int code, std::string_view message) {
  return error_body(std::to_string(code), message);
}

} // namespace sio::protocol
