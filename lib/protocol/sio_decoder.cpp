#include "lib/protocol/sio_decoder.hpp"

#include "lib/protocol/json_scan.hpp"
#include "lib/protocol/utf8.hpp"

#include <rapidjson/document.h>

#include <array>
#include <cstdint>

namespace sio::protocol {

namespace {

using detail::json_kind;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string type_name(sio_packet_type type) {
  return std::string{to_string(type)};
}

// Checks the decoded JSON against the per-type rules of the reference client
// (isPayloadValid, protocol.md §2.1); returns the failure reason or "".
std::string check_payload(sio_packet_type type, const detail::json_summary& s,
  const decoder_limits& limits) {
  switch (type) {
    case sio_packet_type::connect:
      if (s.root != json_kind::object)
        return "CONNECT payload must be an object, got "
               + std::string{to_string(s.root)};
      return {};
    case sio_packet_type::disconnect:
      if (!limits.allow_disconnect_payload)
        return "DISCONNECT must not carry a payload";
      if (s.root != json_kind::object)
        return "DISCONNECT payload must be an object, got "
               + std::string{to_string(s.root)};
      return {};
    case sio_packet_type::event:
    case sio_packet_type::binary_event:
      if (s.root != json_kind::array)
        return type_name(type) + " payload must be an array, got "
               + std::string{to_string(s.root)};
      if (s.root_elements == 0)
        return type_name(type) + " payload must not be an empty array";
      if (s.first_kind != json_kind::string
          && s.first_kind != json_kind::number)
        return type_name(type) + " name must be a string or a number, got "
               + std::string{to_string(s.first_kind)};
      if (s.first_kind == json_kind::string
          && is_reserved_event_name(s.first_string))
        return "reserved event name \"" + s.first_string + "\"";
      return {};
    case sio_packet_type::ack:
    case sio_packet_type::binary_ack:
      if (s.root != json_kind::array)
        return type_name(type) + " payload must be an array, got "
               + std::string{to_string(s.root)};
      return {};
    case sio_packet_type::connect_error:
      if (s.root != json_kind::string && s.root != json_kind::object)
        return "CONNECT_ERROR payload must be a string or an object, got "
               + std::string{to_string(s.root)};
      return {};
  }
  return "unknown packet type";
}

} // namespace

bool is_reserved_event_name(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 6> reserved{
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
  };
  for (auto r : reserved)
    if (name == r)
      return true;
  return false;
}

sio_decoder::sio_decoder(decoder_limits limits) : limits_(limits) {
  // nop
}

sio_decoder::status sio_decoder::fail(std::string reason) {
  reset();
  error_ = std::move(reason);
  return status::invalid;
}

void sio_decoder::reset() {
  clear_packet();
  head_.reset();
}

// Field by field rather than from a fresh sio_packet: this runs for every
// packet, and a temporary packet costs a construction and five moves.
void sio_decoder::clear_packet() noexcept {
  packet_.type = sio_packet_type::event;
  packet_.nsp.assign(1, '/'); // fits the small-string buffer: no allocation
  packet_.id.reset();
  packet_.data.clear();
  packet_.attachments.clear();
  pending_ = 0;
  error_.clear();
}

sio_packet sio_decoder::take() {
  // packet_ is left moved-from: every feed_text() clears it first, and a
  // feed_binary() with nothing pending fails (and clears it). head_ stays:
  // it describes the packet just taken.
  pending_ = 0;
  return std::move(packet_);
}

sio_decoder::status sio_decoder::feed_text(std::string_view text) {
  if (pending_ > 0)
    return fail("attachment count mismatch: text packet received while "
                + std::to_string(pending_) + " attachment(s) are pending");
  reset();
  auto count = parse(text);
  if (!count)
    return fail(count.error());
  pending_ = *count;
  return pending_ > 0 ? status::need_more : status::complete;
}

sio_decoder::status sio_decoder::feed_binary(std::string_view bytes) {
  if (pending_ == 0)
    return fail("unexpected binary attachment: none is awaited");
  if (bytes.size() > limits_.max_packet_size)
    return fail("attachment too large (" + std::to_string(bytes.size())
                + " bytes, limit " + std::to_string(limits_.max_packet_size)
                + ")");
  error_.clear();
  packet_.attachments.emplace_back(bytes);
  --pending_;
  return pending_ > 0 ? status::need_more : status::complete;
}

result<size_t> sio_decoder::parse(std::string_view text) {
  using result_type = result<size_t>;
  // Checked first: nothing below may scan or copy an oversized input.
  if (text.size() > limits_.max_packet_size)
    return result_type::fail("packet too large (" + std::to_string(text.size())
                             + " bytes, limit "
                             + std::to_string(limits_.max_packet_size) + ")");
  if (text.empty())
    return result_type::fail("empty packet");
  auto digit = text[0];
  if (digit < '0' || digit > '6')
    return result_type::fail("unknown packet type");
  auto type = static_cast<sio_packet_type>(digit - '0');
  size_t i = 1;
  auto n = text.size();
  // Attachment count: "<digits>-" right after the type of binary packets.
  size_t attachments = 0;
  if (is_binary(type)) {
    auto start = i;
    constexpr size_t no_overflow = (SIZE_MAX - 9) / 10;
    for (; i < n && is_digit(text[i]); ++i) {
      attachments = attachments * 10 + static_cast<size_t>(text[i] - '0');
      // Stops as soon as the count is too big, long before it could wrap.
      if (attachments > limits_.max_attachments || attachments > no_overflow)
        return result_type::fail("too many attachments (limit "
                                 + std::to_string(limits_.max_attachments)
                                 + ")");
    }
    if (i == start)
      return result_type::fail("illegal attachments: missing count");
    if (i == n || text[i] != '-')
      return result_type::fail(
        "illegal attachments: count not followed by '-'");
    ++i;
  }
  // Namespace: from '/' to the next ',' or the end (reference behaviour).
  std::string_view nsp = "/";
  if (i < n && text[i] == '/') {
    auto comma = text.find(',', i);
    auto end = comma == std::string_view::npos ? n : comma;
    nsp = text.substr(i, end - i);
    i = comma == std::string_view::npos ? n : comma + 1;
    if (nsp.size() > max_namespace_size)
      return result_type::fail("bad namespace: longer than "
                               + std::to_string(max_namespace_size) + " bytes");
    for (char c : nsp)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return result_type::fail("bad namespace: control character");
    // Namespaces end up in group names and ce-namespace headers.
    if (!is_valid_utf8(nsp))
      return result_type::fail("bad namespace: invalid UTF-8");
  }
  // Ack id: decimal digits right after the namespace.
  std::optional<uint64_t> id;
  if (i < n && is_digit(text[i])) {
    uint64_t v = 0;
    for (; i < n && is_digit(text[i]); ++i) {
      v = v * 10 + static_cast<uint64_t>(text[i] - '0');
      // v <= 2^53 before the multiplication, so it never wraps.
      if (v > max_ack_id)
        return result_type::fail("bad ack id: larger than 2^53");
    }
    id = v;
  }
  if (id
      && (type == sio_packet_type::connect
          || type == sio_packet_type::disconnect
          || type == sio_packet_type::connect_error))
    return result_type::fail("ack id not allowed on " + type_name(type));
  auto data = text.substr(i);
  if (data.empty()) {
    if (type != sio_packet_type::connect && type != sio_packet_type::disconnect)
      return result_type::fail(type_name(type) + " without payload");
  } else {
    if (type == sio_packet_type::disconnect
        && !limits_.allow_disconnect_payload)
      return result_type::fail("DISCONNECT must not carry a payload");
    detail::json_scan_options opts;
    opts.max_depth = limits_.max_json_depth;
    opts.check_placeholders = is_binary(type);
    opts.attachment_count = attachments;
    auto summary = detail::scan_json(data, opts);
    if (!summary)
      return result_type::fail("invalid payload: " + summary.error());
    auto why = check_payload(type, *summary, limits_);
    if (!why.empty())
      return result_type::fail("invalid payload: " + why);
    if (type == sio_packet_type::event || type == sio_packet_type::binary_event) {
      head_.emplace();
      if (summary->first_kind == detail::json_kind::string)
        head_->name = std::move(summary->first_string);
      head_->first_end = summary->first_end;
      head_->data_offset = i;
    }
  }
  packet_.type = type;
  packet_.nsp.assign(nsp);
  packet_.id = id;
  if (limits_.copy_event_data || !head_)
    packet_.data.assign(data);
  packet_.attachments.reserve(attachments);
  return result_type::ok(attachments);
}

result<sio_packet> decode_text_packet(
  std::string_view text, const decoder_limits& limits) {
  sio_decoder dec{limits};
  switch (dec.feed_text(text)) {
    case sio_decoder::status::complete:
      return result<sio_packet>::ok(dec.take());
    case sio_decoder::status::need_more:
      return result<sio_packet>::fail(
        "binary packet awaits attachments; use sio_decoder");
    case sio_decoder::status::invalid:
      break;
  }
  return result<sio_packet>::fail(dec.error());
}

bool disconnect_requests_close(std::string_view data_json) {
  if (data_json.empty())
    return false;
  // Iterative parse into a pool-allocated DOM: no recursion on either side.
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag
            | rapidjson::kParseValidateEncodingFlag>(
    data_json.data(), data_json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return false;
  auto it = doc.FindMember("close");
  return it != doc.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

} // namespace sio::protocol
