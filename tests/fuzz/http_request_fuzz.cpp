// tests/fuzz/http_request_fuzz.cpp
// libFuzzer target: the HTTP/1.1 request parser with its limits
// (lib/http/request_parser.hpp) and the query/percent decoding of
// lib/http/request.hpp. Property: feeding the bytes in one piece or one byte
// at a time gives the same requests, and refuses the same streams (the status
// may differ: a URL that is both too long and malformed is 414 or 400
// depending on where the read boundaries fall).
#include "lib/http/request.hpp"
#include "lib/http/request_parser.hpp"
#include "lib/protocol/ascii.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <string>
#include <vector>

using namespace sio::http;

namespace {

/// What one run of the parser over a stream produced.
struct outcome {
  std::vector<request> requests;
  int error_status = 0;
};

/// Parses up to 8 pipelined requests, feeding `step` bytes at a time.
outcome run(std::string_view in, size_t step, const request_limits& limits) {
  outcome out;
  request_parser parser{limits};
  std::string buffered;
  size_t pos = 0;
  while (out.requests.size() < 8) {
    if (buffered.empty()) {
      if (pos >= in.size())
        break;
      auto n = std::min(step, in.size() - pos);
      buffered.assign(in.substr(pos, n));
      pos += n;
    }
    size_t consumed = 0;
    auto st = parser.parse(buffered, consumed);
    FUZZ_CHECK(consumed <= buffered.size());
    buffered.erase(0, consumed);
    if (st == request_parser::status::invalid) {
      out.error_status = parser.error_status();
      FUZZ_CHECK(!parser.error_reason().empty());
      break;
    }
    if (st == request_parser::status::complete) {
      auto& req = parser.current();
      FUZZ_CHECK(req.target.size() <= limits.max_url_size);
      FUZZ_CHECK(req.headers.size() <= limits.max_header_count);
      FUZZ_CHECK(req.body.size() <= limits.max_body_size);
      bool upgrade = req.upgrade;
      out.requests.push_back(req);
      if (upgrade)
        break;  // the rest belongs to another protocol
      parser.reset();
      continue;
    }
    // need_more must have used everything it was given.
    FUZZ_CHECK(buffered.empty());
  }
  return out;
}

void check_request(const request& req) {
  auto path = req.path();
  auto query = req.query();
  FUZZ_CHECK(path.size() + query.size() <= req.target.size());
  auto decoded = percent_decode(path);
  if (decoded)
    FUZZ_CHECK(decoded->size() <= path.size());
  if (path.find('%') == std::string_view::npos)
    FUZZ_CHECK(decoded && *decoded == path);
  if (auto pairs = parse_query(query)) {
    size_t total = 0;
    for (auto& [k, v] : *pairs)
      total += k.size() + v.size();
    FUZZ_CHECK(total <= query.size());
  }
  for (auto& h : req.headers) {
    auto* found = req.find_header(h.first);
    FUZZ_CHECK(found != nullptr);
    FUZZ_CHECK(sio::protocol::ascii_iequals(h.first, h.first));
  }
}

bool same(const request& a, const request& b) {
  return a.method == b.method && a.target == b.target
         && a.headers == b.headers && a.body == b.body
         && a.keep_alive == b.keep_alive && a.upgrade == b.upgrade;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  // Small limits so that every refusal (413, 414, 431) is reachable.
  request_limits small;
  small.max_url_size = 64;
  small.max_header_bytes = 256;
  small.max_header_count = 8;
  small.max_body_size = 128;
  for (const auto& limits : {request_limits{}, small}) {
    auto whole = run(in, in.size() + 1, limits);
    auto bytewise = run(in, 1, limits);
    FUZZ_CHECK((whole.error_status == 0) == (bytewise.error_status == 0));
    FUZZ_CHECK(whole.requests.size() == bytewise.requests.size());
    for (size_t i = 0; i < whole.requests.size(); ++i) {
      FUZZ_CHECK(same(whole.requests[i], bytewise.requests[i]));
      check_request(whole.requests[i]);
    }
    if (whole.error_status != 0)
      FUZZ_CHECK(whole.error_status == 400 || whole.error_status == 413
                 || whole.error_status == 414 || whole.error_status == 431);
  }
  // The decoders on raw input as well.
  (void) percent_decode(in, true);
  (void) parse_query(in);
  return 0;
}
