#include "actors/event_payloads.hpp"

#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/json_text.hpp"
#include "lib/protocol/sio_decoder.hpp"
#include "lib/protocol/sio_encoder.hpp"

namespace sio {

namespace {

using protocol::sio_packet_type;

/// "[" + quoted name + ("," + rest of args) + "]".
std::string event_array(std::string_view name, std::string_view args_json) {
  std::string out = "[";
  protocol::append_json_string(out, name);
  // args_json is "[...]": splice its elements after the name.
  if (args_json.size() > 2) {
    out.push_back(',');
    out.append(args_json.substr(1, args_json.size() - 2));
  }
  out.push_back(']');
  return out;
}

/// What an answer to or an echo of an event takes from it: the namespace
/// and the attachments it carries back.
struct event_origin {
  std::string_view nsp;
  const std::vector<std::string>& attachments;
};

event_origin origin_of(const parsed_event& ev) {
  return {ev.nsp, ev.attachments};
}

event_origin origin_of(const message_event& ev) {
  return {ev.socket.nsp, ev.attachments};
}

/// The Engine.IO message of a packet answering or echoing an event with
/// `data`: its namespace, and the binary type when it carries the event's
/// attachments. Encoded from the parts, without a packet copy.
std::string message_for(const event_origin& ev, sio_packet_type text_type,
                        sio_packet_type binary_type, std::optional<uint64_t> id,
                        std::string_view data) {
  bool binary = !ev.attachments.empty();
  return protocol::encode_message(binary ? binary_type : text_type, ev.nsp, id,
                                  data, ev.attachments.size());
}

/// The same as one Engine.IO payload: the text message first, then the
/// attachments as base64 segments, encoded straight from the event's bytes.
std::string payload_for(const event_origin& ev, sio_packet_type text_type,
                        sio_packet_type binary_type, std::optional<uint64_t> id,
                        std::string_view data) {
  std::string out = message_for(ev, text_type, binary_type, id, data);
  for (auto& a : ev.attachments)
    protocol::append_frame_to_payload(out, a, true);
  return out;
}

/// True when ev.args_offset can be used: set, inside an EVENT or
/// BINARY_EVENT packet, and followed by what follows element [0] of an
/// array (',' or ']', after blanks). A stage that rewrote `packet` and left
/// a stale offset is caught here in all but contrived cases.
bool args_offset_fits(const message_event& ev) {
  if (ev.args_offset == 0 || ev.args_offset >= ev.packet.size()
      || ev.packet[0] != '4' || (ev.packet[1] != '2' && ev.packet[1] != '5'))
    return false;
  auto rest = std::string_view{ev.packet}.substr(ev.args_offset);
  auto next = rest.find_first_not_of(" \t\n\r");
  return next != std::string_view::npos && (rest[next] == ',' || rest[next] == ']');
}

/// The arguments at a fitting ev.args_offset (see args_offset_fits).
std::string args_at_offset(const message_event& ev) {
  return protocol::event_args(std::string_view{ev.packet}.substr(ev.args_offset), 0);
}

} // namespace

std::optional<parsed_event> parse_event(const message_event& ev) {
  if (ev.packet.size() < 2 || ev.packet[0] != '4')
    return std::nullopt;
  // The session validated the packet and said where the arguments begin:
  // everything else is in the event's fields already (a second decode was
  // 15 % of the in-process echo's instructions).
  if (args_offset_fits(ev)) {
    parsed_event out;
    out.nsp = ev.socket.nsp;
    out.name = ev.event_name;
    out.args = args_at_offset(ev);
    out.attachments = ev.attachments;
    if (ev.has_ack)
      out.ack_id = ev.ack_id;
    return out;
  }
  protocol::sio_decoder dec;
  auto st = dec.feed_text(std::string_view{ev.packet}.substr(1));
  for (auto& a : ev.attachments) {
    if (st != protocol::sio_decoder::status::need_more)
      break;
    st = dec.feed_binary(a);
  }
  if (st != protocol::sio_decoder::status::complete)
    return std::nullopt;
  auto p = dec.take();
  const auto& head = dec.last_event_head(); // set for events only
  if (!head)
    return std::nullopt;
  parsed_event out;
  out.nsp = std::move(p.nsp);
  out.name = head->name.value_or(ev.event_name);
  out.args = protocol::event_args(p.data, head->first_end);
  out.attachments = std::move(p.attachments);
  out.ack_id = p.id;
  return out;
}

std::optional<std::string> event_args(const message_event& ev) {
  if (args_offset_fits(ev))
    return args_at_offset(ev);
  auto parsed = parse_event(ev);
  if (!parsed)
    return std::nullopt;
  return std::move(parsed->args);
}

std::string error_payload(std::string_view message) {
  return "{\"message\":" + protocol::json_string(message) + "}";
}

std::string ack_payload(const parsed_event& ev, std::string_view args_json) {
  return payload_for(origin_of(ev), sio_packet_type::ack,
                     sio_packet_type::binary_ack, ev.ack_id, args_json);
}

std::string ack_payload(const message_event& ev, std::string_view args_json) {
  std::optional<uint64_t> id;
  if (ev.has_ack)
    id = ev.ack_id;
  return payload_for(origin_of(ev), sio_packet_type::ack,
                     sio_packet_type::binary_ack, id, args_json);
}

std::string event_payload(const parsed_event& ev, std::string_view name,
                          std::string_view args_json) {
  return payload_for(origin_of(ev), sio_packet_type::event,
                     sio_packet_type::binary_event, std::nullopt,
                     event_array(name, args_json));
}

wire_batch event_batch(const parsed_event& ev, std::string_view name,
                       std::string_view args_json) {
  auto out = std::make_shared<std::vector<wire_packet>>();
  auto text = message_for(origin_of(ev), sio_packet_type::event,
                          sio_packet_type::binary_event, std::nullopt,
                          event_array(name, args_json));
  out->push_back({false, std::make_shared<const std::string>(std::move(text))});
  for (auto& a : ev.attachments)
    out->push_back({true, std::make_shared<const std::string>(a)});
  return out;
}

} // namespace sio
