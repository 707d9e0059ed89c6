// tests/unit/adapter/samples.cpp: adapter-samples prints what our encoders
// write (base64) next to the frames and values they started from, as JSON,
// for check_node_decode.mjs to decode with the real notepack.io and
// socket.io-parser (meson test adapter-node-decode).
#include "lib/cluster/adapter_codec.hpp"
#include "lib/cluster/adapter_encoders.hpp"
#include "lib/cluster/adapter_requests.hpp"
#include "lib/protocol/base64.hpp"
#include "lib/protocol/json_text.hpp"

#include <cstdio>
#include <string>
#include <vector>

using namespace sio::cluster;
using sio::protocol::base64_encode;
using sio::protocol::json_string;

namespace {

std::string list(const std::vector<std::string>& l) {
  std::string out = "[";
  for (size_t k = 0; k < l.size(); ++k)
    out += (k ? "," : "") + json_string(l[k]);
  return out + "]";
}

std::string frames_json(const std::vector<frame>& frames) {
  std::string out = "[";
  for (size_t k = 0; k < frames.size(); ++k)
    out += std::string(k ? "," : "") + R"({"binary":)" + (frames[k].binary ? "true" : "false")
           + R"(,"base64":")" + base64_encode(frames[k].bytes) + "\"}";
  return out + "]";
}

std::vector<std::string> lines;

void sample(const std::string& name, const std::string& kind, const std::string& bytes,
            const std::string& extra) {
  lines.push_back(R"({"name":)" + json_string(name) + R"(,"kind":")" + kind + R"(","msgpack":")"
                  + base64_encode(bytes) + "\"," + extra + "}");
}

int broadcast(const std::string& name, adapter_broadcast b, const std::string& flags_json) {
  auto bytes = encode_broadcast(b);
  if (!bytes) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), bytes.error().c_str());
    return 1;
  }
  sample(name, "broadcast", *bytes,
         R"("uid":)" + json_string(b.uid) + R"(,"frames":)" + frames_json(b.frames)
           + R"(,"opts":{"rooms":)" + list(b.opts.rooms) + R"(,"except":)" + list(b.opts.except)
           + R"(,"flags":)" + flags_json + "}");
  auto req = encode_broadcast_request("req123", b);
  if (!req)
    return 1;
  sample(name + " as BROADCAST request", "broadcast_request", *req,
         R"("uid":)" + json_string(b.uid) + R"(,"requestId":"req123","frames":)" + frames_json(b.frames)
           + R"(,"opts":{"rooms":)" + list(b.opts.rooms) + R"(,"except":)" + list(b.opts.except)
           + R"(,"flags":)" + flags_json + "}");
  return 0;
}

} // namespace

int main() {
  int failed = 0;
  adapter_broadcast b;
  b.uid = "abc123";
  b.frames = {{false, R"(42["ev",1,"two",{"three":3}])"}};
  failed += broadcast("text to all", b, "{}");

  b.frames = {{false, R"(452-["bin",{"_placeholder":true,"num":0},{"n":[{"_placeholder":true,"num":1},4]}])"},
              {true, std::string("\x00\xff\x01", 3)},
              {true, std::string(70000, 'z')}};
  b.opts.rooms = {"r1"};
  b.opts.except = {"x", "y#z"};
  b.opts.flags.volatile_ = true;
  b.opts.flags.compress = false;
  failed += broadcast("binary to a room", b, R"({"volatile":true,"compress":false})");

  b.nsp = "/admin";
  b.frames = {{false, "42/admin,[\"ev\",\"\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \\\"q\\\" \\\\ \\n\\u0001\","
                      "null,-5,1.5,-0.25,1e300,-1e-300,4294967296,-2147483649,9007199254740993,"
                      "18446744073709551615,2.0,{\"k\":[],\"1\":{},\"a\":true},[false]]"}};
  b.opts = {};
  b.opts.flags.timeout = 5000;
  failed += broadcast("unicode and numbers in /admin", b, R"({"timeout":5000})");

  b.nsp = "/";
  b.frames = {{false, std::string("42[\"") + std::string(300, 'x') + "\",\"" + std::string(70000, 'y') + "\"]"}};
  failed += broadcast("long strings", b, R"({"timeout":5000})");

  auto ack = encode_broadcast_ack("req123", R"([{"answer":"q?","buf":{"_placeholder":true,"num":0}},"ignored"])",
                                  {std::string("\x09\x08", 2)});
  auto ack_none = encode_broadcast_ack("req124", "[]", {});
  if (!ack || !ack_none)
    return 1;
  sample("ack with a Buffer", "broadcast_ack", *ack,
         R"("expect":{"type":9,"requestId":"req123","packet":{"answer":"q?","buf":{"$bin":"CQg="}}})");
  sample("ack without argument", "broadcast_ack", *ack_none,
         R"("expect":{"type":9,"requestId":"req124"})");

  std::string out = "[\n";
  for (size_t k = 0; k < lines.size(); ++k)
    out += lines[k] + (k + 1 < lines.size() ? ",\n" : "\n");
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return failed;
}
