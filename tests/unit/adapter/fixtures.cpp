// tests/unit/adapter/fixtures.cpp: loads fixtures.json (see fixtures.hpp).
#include "fixtures.hpp"

#include "lib/protocol/base64.hpp"

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace adapter_test {

namespace {

std::string b64(const rapidjson::Value& v) {
  auto d = sio::protocol::base64_decode({v.GetString(), v.GetStringLength()});
  if (!d)
    throw std::runtime_error("bad base64 in fixtures.json");
  return *d;
}

std::vector<fixture> load() {
  std::ifstream in{ADAPTER_FIXTURES, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject())
    throw std::runtime_error("cannot read " ADAPTER_FIXTURES);
  std::vector<fixture> out;
  for (const auto& r : doc["records"].GetArray()) {
    fixture f;
    f.label = r["label"].GetString();
    f.channel = r["channel"].GetString();
    f.bytes = b64(r["base64"]);
    if (r.HasMember("node_frames")) {
      f.node_frames.emplace();
      for (const auto& fr : r["node_frames"].GetArray())
        f.node_frames->push_back({fr["binary"].GetBool(), b64(fr["base64"])});
    }
    if (r.HasMember("node_json"))
      f.node_json = r["node_json"].GetString();
    if (r.HasMember("numsub"))
      f.numsub = r["numsub"].GetInt64();
    out.push_back(std::move(f));
  }
  return out;
}

} // namespace

const std::vector<fixture>& fixtures() {
  static const std::vector<fixture> all = load();
  return all;
}

std::vector<const fixture*> by_label(const std::string& label) {
  std::vector<const fixture*> out;
  for (const auto& f : fixtures())
    if (f.label == label)
      out.push_back(&f);
  return out;
}

} // namespace adapter_test
