#include "lib/protocol/sio_encoder.hpp"

#include "lib/protocol/ascii.hpp"
#include "lib/protocol/json_scan.hpp"

#include <algorithm>

namespace sio::protocol {

namespace {

/// The parts of a packet that its text is made of.
struct packet_parts {
  sio_packet_type type;
  std::string_view nsp;
  std::optional<uint64_t> id;
  std::string_view data;
  size_t attachment_count;
};

packet_parts parts_of(const sio_packet& packet) {
  return {packet.type, packet.nsp, packet.id, packet.data,
          packet.attachments.size()};
}

/// Room for a packet's text: type, attachment count, namespace, id, data.
size_t encoded_size_bound(const packet_parts& p) {
  return p.nsp.size() + p.data.size() + 24;
}

/// Appends the packet's Socket.IO text to `out`.
void append_encoded(std::string& out, const packet_parts& p) {
  out.push_back(to_digit(p.type));
  if (is_binary(p.type)) {
    out.append(std::to_string(p.attachment_count));
    out.push_back('-');
  }
  if (!p.nsp.empty() && p.nsp != "/") {
    out.append(p.nsp);
    out.push_back(',');
  }
  if (p.id)
    out.append(std::to_string(*p.id));
  out.append(p.data);
}

/// The Engine.IO message ('4' + the Socket.IO text) in one allocation.
std::string encode_message_of(const packet_parts& p) {
  std::string out;
  out.reserve(1 + encoded_size_bound(p));
  out.push_back(to_digit(eio_packet_type::message));
  append_encoded(out, p);
  return out;
}

} // namespace

std::string_view to_string(sio_packet_type type) {
  switch (type) {
    case sio_packet_type::connect:
      return "CONNECT";
    case sio_packet_type::disconnect:
      return "DISCONNECT";
    case sio_packet_type::event:
      return "EVENT";
    case sio_packet_type::ack:
      return "ACK";
    case sio_packet_type::connect_error:
      return "CONNECT_ERROR";
    case sio_packet_type::binary_event:
      return "BINARY_EVENT";
    case sio_packet_type::binary_ack:
      return "BINARY_ACK";
  }
  return "UNKNOWN";
}

std::string encode(const sio_packet& packet) {
  auto parts = parts_of(packet);
  std::string out;
  out.reserve(encoded_size_bound(parts));
  append_encoded(out, parts);
  return out;
}

std::string encode_message(const sio_packet& packet) {
  return encode_message_of(parts_of(packet));
}

std::string encode_message(sio_packet_type type, std::string_view nsp,
                           std::optional<uint64_t> id, std::string_view data,
                           size_t attachment_count) {
  return encode_message_of({type, nsp, id, data, attachment_count});
}

std::vector<eio_packet> to_eio_packets(const sio_packet& packet) {
  std::vector<eio_packet> out;
  out.reserve(1 + packet.attachments.size());
  eio_packet text;
  text.data = encode(packet);
  out.push_back(std::move(text));
  if (is_binary(packet.type)) {
    for (const auto& bytes : packet.attachments) {
      eio_packet bin;
      bin.binary = true;
      bin.data = bytes;
      out.push_back(std::move(bin));
    }
  }
  return out;
}

result<event_parts> split_event(std::string_view data_json) {
  using result_type = result<event_parts>;
  auto summary = detail::scan_json(data_json, detail::json_scan_options{});
  if (!summary)
    return result_type::fail(summary.error());
  if (summary->root != detail::json_kind::array || summary->root_elements == 0)
    return result_type::fail("event payload is not a non-empty JSON array");
  event_parts parts;
  if (summary->first_kind == detail::json_kind::string)
    parts.name = std::move(summary->first_string);
  parts.args = event_args(data_json, summary->first_end);
  return result_type::ok(std::move(parts));
}

std::string event_args(std::string_view data_json, size_t first_end) {
  // The text is a well-formed array, so after [0] comes ',' or ']'.
  auto rest = trim(data_json.substr(std::min(first_end, data_json.size())),
                   json_whitespace);
  if (rest.empty() || rest.front() != ',')
    return "[]";
  rest.remove_prefix(1);
  std::string args;
  args.reserve(rest.size() + 1);
  args.push_back('[');
  args.append(trim(rest, json_whitespace));
  return args;
}

} // namespace sio::protocol
