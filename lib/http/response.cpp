#include "lib/http/response.hpp"

#include <http_parser.h>

namespace sio::http {

response response::json(int status, std::string body) {
  response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

response response::text(int status, std::string body) {
  response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=UTF-8");
  r.body = std::move(body);
  return r;
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
