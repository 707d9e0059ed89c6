#include "lib/http/request_parser.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/url.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

namespace sio::http {

namespace {

request_parser* self(http_parser* p) {
  return static_cast<request_parser*>(p->data);
}

/// An absolute-form request target (RFC 9112 §3.2.2: `http://host:port/p?q`,
/// which a server must accept) cut to origin form (`/p?q`, `/` for no
/// path). Returns its authority (host[:port]); "" when `target` is in
/// another form and stays as it is; nullopt when it has no host or has
/// userinfo, which RFC 9110 §4.2 makes an invalid http(s) URI.
std::optional<std::string> take_absolute_form(std::string& target) {
  if (target.empty() || target[0] == '/')
    return std::string{}; // origin form: nothing to scan
  auto url = protocol::split_url(target);
  if (!protocol::ascii_iequals(url.scheme, "http")
      && !protocol::ascii_iequals(url.scheme, "https"))
    return std::string{};
  std::string authority{url.authority};
  if (authority.empty() || authority[0] == ':'
      || authority.find('@') != std::string::npos)
    return std::nullopt;
  std::string rest{url.target};
  target = rest.empty() || rest[0] != '/' ? "/" + rest : std::move(rest);
  return authority;
}

} // namespace

request_parser::request_parser(request_limits limits) : limits_(limits) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &on_message_begin;
  settings_.on_url = &on_url;
  settings_.on_header_field = &on_header_field;
  settings_.on_header_value = &on_header_value;
  settings_.on_headers_complete = &on_headers_complete;
  settings_.on_body = &on_body;
  settings_.on_message_complete = &on_message_complete;
  reset();
}

void request_parser::reset() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  req_ = request{};
  header_bytes_ = 0;
  in_value_ = false;
  complete_ = false;
  started_ = false;
  error_status_ = 0;
  error_reason_.clear();
}

request_parser::status request_parser::parse(std::string_view bytes,
                                             size_t& consumed) {
  consumed = 0;
  if (error_status_ != 0)
    return status::invalid;
  if (complete_)
    return status::complete;
  if (!bytes.empty())
    started_ = true;
  consumed = http_parser_execute(&parser_, &settings_, bytes.data(),
                                 bytes.size());
  if (error_status_ != 0)
    return status::invalid;
  auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err != HPE_OK && err != HPE_PAUSED) {
    // http_parser's own header cap (80 KiB) is above ours, but keep the
    // mapping right should it ever trigger first.
    error_status_ = err == HPE_HEADER_OVERFLOW ? 431 : 400;
    error_reason_ = std::string{"malformed request: "}
                    + http_errno_description(err);
    return status::invalid;
  }
  if (complete_) {
    // The parser was paused in on_message_complete; unpause for reuse.
    http_parser_pause(&parser_, 0);
    return status::complete;
  }
  return status::need_more;
}

int request_parser::fail(int status, std::string reason) {
  error_status_ = status;
  error_reason_ = std::move(reason);
  return -1;
}

int request_parser::on_message_begin(http_parser* p) {
  self(p)->started_ = true;
  return 0;
}

int request_parser::on_url(http_parser* p, const char* at, size_t n) {
  auto* s = self(p);
  if (s->req_.target.size() + n > s->limits_.max_url_size)
    return s->fail(414, "request URL too long");
  s->req_.target.append(at, n);
  return 0;
}

int request_parser::on_header_field(http_parser* p, const char* at, size_t n) {
  auto* s = self(p);
  s->header_bytes_ += n;
  if (s->header_bytes_ > s->limits_.max_header_bytes)
    return s->fail(431, "request header fields too large");
  if (s->in_value_ || s->req_.headers.empty()) {
    if (s->req_.headers.size() >= s->limits_.max_header_count)
      return s->fail(431, "too many request header fields");
    s->req_.headers.emplace_back();
    s->in_value_ = false;
  }
  s->req_.headers.back().first.append(at, n);
  return 0;
}

int request_parser::on_header_value(http_parser* p, const char* at, size_t n) {
  auto* s = self(p);
  s->header_bytes_ += n;
  if (s->header_bytes_ > s->limits_.max_header_bytes)
    return s->fail(431, "request header fields too large");
  if (s->req_.headers.empty())
    return s->fail(400, "header value without a name");
  s->in_value_ = true;
  s->req_.headers.back().second.append(at, n);
  return 0;
}

int request_parser::on_headers_complete(http_parser* p) {
  auto* s = self(p);
  for (auto& h : s->req_.headers)
    protocol::trim_in_place(h.second, protocol::http_whitespace);
  // Routing sees origin form only; the Host of an absolute-form request is
  // the target's authority, whatever a Host header says (RFC 9112 §3.2.2).
  auto authority = take_absolute_form(s->req_.target);
  if (!authority)
    return s->fail(400, "invalid host in the request target");
  if (!authority->empty()) {
    auto& headers = s->req_.headers;
    auto host = std::find_if(headers.begin(), headers.end(), [](auto& h) {
      return protocol::ascii_iequals(h.first, "Host");
    });
    if (host != headers.end()) {
      host->second = std::move(*authority);
    } else {
      // The Host taken from the target counts against the header limit
      // like one the client sent.
      if (headers.size() >= s->limits_.max_header_count)
        return s->fail(431, "too many request header fields");
      headers.emplace_back("Host", std::move(*authority));
    }
  }
  s->req_.method = http_method_str(static_cast<http_method>(p->method));
  s->req_.keep_alive = http_should_keep_alive(p) != 0;
  s->req_.upgrade = p->upgrade != 0;
  // Refuse a declared oversized body before reading any of it.
  if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX
      && p->content_length > s->limits_.max_body_size)
    return s->fail(413, "request body too large");
  return 0;
}

int request_parser::on_body(http_parser* p, const char* at, size_t n) {
  auto* s = self(p);
  if (s->req_.body.size() + n > s->limits_.max_body_size)
    return s->fail(413, "request body too large");
  s->req_.body.append(at, n);
  return 0;
}

int request_parser::on_message_complete(http_parser* p) {
  auto* s = self(p);
  s->complete_ = true;
  // Stop here: bytes after this request belong to the next one (or to the
  // WebSocket after an upgrade).
  http_parser_pause(p, 1);
  return 0;
}

} // namespace sio::http
