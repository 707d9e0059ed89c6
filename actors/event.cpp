// sio::event, sio::ack, sio::emit_back, sio::reject (<sio/event.hpp>):
// reading a client event with the session's decoding (parse_event) and
// answering it with the packets Socket.IO itself sends.
#include <sio/event.hpp>

#include "actors/event_payloads.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/event_array.hpp"
#include "lib/protocol/sio_encoder.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sio {

namespace {

using protocol::sio_packet_type;

/// The Engine.IO payload of a packet carrying `data` (the JSON array of
/// a's elements when empty) and a's attachments: the text message (the
/// binary type when there are attachments) followed by the attachments as
/// base64 segments.
std::string payload_of(sio_packet_type text_type, sio_packet_type binary_type,
                       std::string_view nsp, std::optional<uint64_t> id,
                       std::string_view data, const args& a) {
  const auto& attachments = a.attachments();
  std::string out = protocol::encode_message(
    attachments.empty() ? text_type : binary_type, nsp, id, data,
    attachments.size());
  if (data.empty()) {
    out.reserve(out.size() + a.elements().size() + 2);
    out.push_back('[');
    out.append(a.elements());
    out.push_back(']');
  }
  for (const auto& bytes : attachments)
    protocol::append_frame_to_payload(out, bytes, true);
  return out;
}

/// `s` as a JSON string literal, escaped as args escapes its strings.
std::string json_string(std::string_view s) {
  args a;
  a.push(s);
  auto array = a.json(); // ["..."]
  return array.substr(1, array.size() - 2);
}

} // namespace

std::optional<event> event::read(const message_event& ev) {
  auto parsed = parse_event(ev);
  if (!parsed)
    return std::nullopt;
  event out;
  // The decoder validated the packet, but a hand-built event may not have
  // been through it: the arguments are parsed for real, iteratively so
  // that nesting depth cannot exhaust the stack.
  out.args_.Parse<rapidjson::kParseIterativeFlag>(parsed->args.data(),
                                                  parsed->args.size());
  if (out.args_.HasParseError() || !out.args_.IsArray())
    return std::nullopt;
  out.name_ = std::move(parsed->name);
  out.nsp_ = std::move(parsed->nsp);
  out.attachments_ = std::move(parsed->attachments);
  out.ack_id_ = parsed->ack_id;
  return out;
}

const rapidjson::Value* event::arg(size_t i) const noexcept {
  if (!args_.IsArray() || i >= args_.Size())
    return nullptr;
  return &args_[static_cast<rapidjson::SizeType>(i)];
}

size_t event::size() const noexcept {
  return args_.IsArray() ? args_.Size() : 0;
}

const std::string* event::binary_at(const rapidjson::Value& v) const noexcept {
  if (!v.IsObject())
    return nullptr;
  auto flag = v.FindMember("_placeholder");
  auto num = v.FindMember("num");
  if (flag == v.MemberEnd() || !flag->value.IsTrue() || num == v.MemberEnd()
      || !num->value.IsUint64() || num->value.GetUint64() >= attachments_.size())
    return nullptr;
  return &attachments_[num->value.GetUint64()];
}

message_reply ack(const message_event& ev, const args& a) {
  if (!ev.has_ack)
    return {};
  return payload_of(sio_packet_type::ack, sio_packet_type::binary_ack,
                    ev.socket.nsp, ev.ack_id, {}, a);
}

message_reply emit_back(const message_event& ev, std::string_view name,
                        const args& a) {
  return payload_of(sio_packet_type::event, sio_packet_type::binary_event,
                    ev.socket.nsp, std::nullopt,
                    protocol::event_array(name, a), a);
}

connect_verdict reject(std::string_view message, const args* data) {
  // Socket.IO's CONNECT_ERROR payload is {message, data}: the client's
  // connect_error handler gets an Error with those two properties. One
  // argument is `data` itself, several are an array of them. Attachments
  // cannot travel in a CONNECT_ERROR: data with binary values is left out
  // rather than sent with placeholders that nothing resolves.
  std::string out = "{\"message\":" + json_string(message);
  if (data && !data->empty() && data->attachments().empty()) {
    auto json = data->json();
    rapidjson::Document parsed;
    parsed.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (!parsed.HasParseError() && parsed.IsArray()) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w{buf};
      if (parsed.Size() == 1)
        parsed[0].Accept(w);
      else
        parsed.Accept(w);
      out += ",\"data\":";
      out.append(buf.GetString(), buf.GetSize());
    }
  }
  out.push_back('}');
  return connect_verdict::reject(std::move(out));
}

} // namespace sio
