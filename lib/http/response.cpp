#include "lib/http/response.hpp"

#include "lib/protocol/json_text.hpp"

#include <http_parser.h>

namespace sio::http {

namespace {

response with_body(int status, const char* content_type, std::string body) {
  response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

} // namespace

response response::json(int status, std::string body) {
  return with_body(status, "application/json", std::move(body));
}

response response::text(int status, std::string body) {
  return with_body(status, "text/plain; charset=UTF-8", std::move(body));
}

response response::error(int status, std::string_view code,
                         std::string_view message) {
  return json(status, protocol::json_error_body(code, message));
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      break;
  }
  const char* s = http_status_str(static_cast<http_status>(status));
  return s ? std::string_view{s} : std::string_view{"Unknown"};
}

std::string serialize_head(const response& r, bool keep_alive) {
  std::string out;
  out.reserve(128 + r.headers.size() * 48);
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\n";
  for (auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (r.status != 204 && r.status != 304 && r.status >= 200) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  out += keep_alive && !r.close ? "Connection: keep-alive\r\n"
                                : "Connection: close\r\n";
  out += "\r\n";
  return out;
}

} // namespace sio::http
