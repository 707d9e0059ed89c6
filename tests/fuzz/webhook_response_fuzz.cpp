// tests/fuzz/webhook_response_fuzz.cpp
// libFuzzer target: what the service makes of an upstream's answer
// (lib/webhook/cloud_event.hpp): connect answers (verdict, CONNECT_ERROR
// text, Web PubSub-style userId/groups), event answers (the ack relayed)
// and the abuse-protection answer. The first byte picks the status, the
// second how much of the rest is the WebHook-Allowed-Origin header.
// Properties: 2xx and only 2xx accepts; a rejection always has a message of
// valid UTF-8 within 512 bytes, and error_json of it is a JSON object whose
// `message` is that text; accepted answers never carry more than
// max_connect_groups groups; event answers pass 2xx bodies verbatim only.
#include "lib/webhook/cloud_event.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <rapidjson/document.h>

#include <array>

using namespace sio::webhook;

namespace {

constexpr std::array<int, 12> statuses{200, 201, 204, 299, 100, 301,
                                       400, 401, 404, 500, 503, 0};

bool valid_utf8(std::string_view s) {
  rapidjson::Document doc;
  std::string quoted = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    if (static_cast<unsigned char>(c) < 0x20)
      return true; // control characters: not what this checks
    quoted += c;
  }
  quoted += '"';
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(quoted.data(), quoted.size());
  return !doc.HasParseError();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sio::fuzz::fuzz_input in{data, size};
  int status = statuses[in.byte() % statuses.size()];
  size_t split = in.byte();
  std::string_view rest = in.rest();
  auto origin = rest.substr(0, std::min(split, rest.size()));
  auto body = rest.substr(std::min(split, rest.size()));

  auto d = decide_connect(status, body);
  FUZZ_CHECK(d.accepted == (status >= 200 && status <= 299));
  if (d.accepted) {
    FUZZ_CHECK(d.message.empty());
    FUZZ_CHECK(d.groups.size() <= max_connect_groups);
    FUZZ_CHECK(d.user_id.size() <= 512 && valid_utf8(d.user_id));
  } else {
    FUZZ_CHECK(!d.message.empty() && d.message.size() <= 512);
    FUZZ_CHECK(valid_utf8(d.message));
    FUZZ_CHECK(d.user_id.empty() && d.groups.empty());
    auto json = error_json(d.message);
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
    auto m = doc.FindMember("message");
    FUZZ_CHECK(m != doc.MemberEnd() && m->value.IsString());
    FUZZ_CHECK(std::string_view(m->value.GetString(), m->value.GetStringLength())
               == d.message);
  }

  auto reply = message_reply(status, body);
  FUZZ_CHECK(reply == ((status >= 200 && status <= 299) ? body : std::string_view{}));

  std::vector<header> headers;
  headers.emplace_back("WebHook-Allowed-Origin", std::string{origin});
  auto v = check_validation(status, headers, "127.0.0.1", "127.0.0.1:8080");
  if (v.allowed)
    FUZZ_CHECK(status >= 200 && status <= 299);
  else
    FUZZ_CHECK(!v.reason.empty());
  return 0;
}
