#include "lib/protocol/eio_handshake.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>

namespace sio::protocol {

namespace {

// Reads a uint32 member; false when it is missing or has another type.
bool read_u32(const rapidjson::Value& obj, const char* key, uint32_t& out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsUint())
    return false;
  out = it->value.GetUint();
  return true;
}

} // namespace

bool operator==(const handshake& x, const handshake& y) {
  return x.sid == y.sid && x.upgrades == y.upgrades
         && x.ping_interval == y.ping_interval
         && x.ping_timeout == y.ping_timeout && x.max_payload == y.max_payload;
}

std::string encode_handshake(const handshake& h) {
  // RapidJSON escapes the sid and upgrade names, whatever they contain.
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("sid");
  w.String(h.sid.data(), static_cast<rapidjson::SizeType>(h.sid.size()));
  w.Key("upgrades");
  w.StartArray();
  for (const auto& up : h.upgrades)
    w.String(up.data(), static_cast<rapidjson::SizeType>(up.size()));
  w.EndArray();
  w.Key("pingInterval");
  w.Uint(h.ping_interval);
  w.Key("pingTimeout");
  w.Uint(h.ping_timeout);
  w.Key("maxPayload");
  w.Uint(h.max_payload);
  w.EndObject();
  return std::string{buf.GetString(), buf.GetSize()};
}

result<handshake> decode_handshake(std::string_view json) {
  using result_type = result<handshake>;
  // The pool allocator of Document never frees recursively and the iterative
  // parser never recurses, so hostile nesting costs memory but not the stack.
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag
            | rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError())
    return result_type::fail(std::string{"invalid handshake JSON: "}
                             + rapidjson::GetParseError_En(doc.GetParseError())
                             + " at offset "
                             + std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject())
    return result_type::fail("handshake is not a JSON object");
  handshake h;
  auto sid = doc.FindMember("sid");
  if (sid == doc.MemberEnd() || !sid->value.IsString())
    return result_type::fail("handshake: \"sid\" missing or not a string");
  h.sid.assign(sid->value.GetString(), sid->value.GetStringLength());
  auto ups = doc.FindMember("upgrades");
  if (ups == doc.MemberEnd() || !ups->value.IsArray())
    return result_type::fail("handshake: \"upgrades\" missing or not an array");
  for (const auto& up : ups->value.GetArray()) {
    if (!up.IsString())
      return result_type::fail("handshake: \"upgrades\" holds a non-string");
    h.upgrades.emplace_back(up.GetString(), up.GetStringLength());
  }
  if (!read_u32(doc, "pingInterval", h.ping_interval))
    return result_type::fail(
      "handshake: \"pingInterval\" missing or not an unsigned integer");
  if (!read_u32(doc, "pingTimeout", h.ping_timeout))
    return result_type::fail(
      "handshake: \"pingTimeout\" missing or not an unsigned integer");
  if (!read_u32(doc, "maxPayload", h.max_payload))
    return result_type::fail(
      "handshake: \"maxPayload\" missing or not an unsigned integer");
  return result_type::ok(std::move(h));
}

} // namespace sio::protocol
