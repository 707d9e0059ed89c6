// lib/cluster/adapter_codec.cpp: broadcasts between msgpack and our client
// frames (see adapter_codec.hpp).
#include "lib/cluster/adapter_codec.hpp"

#include "lib/protocol/sio_decoder.hpp"
#include "lib/protocol/sio_encoder.hpp"

#include <limits>

namespace sio::cluster {

using protocol::result;
using K = mp_value::kind;

std::vector<frame> event_frames(std::string_view nsp, std::string_view data_json,
                                const std::vector<std::string>& attachments,
                                std::optional<uint64_t> ack_id) {
  std::vector<frame> out;
  out.reserve(1 + attachments.size());
  auto type = attachments.empty() ? protocol::sio_packet_type::event
                                  : protocol::sio_packet_type::binary_event;
  out.push_back({false, protocol::encode_message(type, nsp, ack_id, data_json,
                                                 attachments.size())});
  for (const auto& a : attachments)
    out.push_back({true, a});
  return out;
}

result<std::vector<std::string>> read_string_list(const mp_value& v) {
  using R = result<std::vector<std::string>>;
  std::vector<std::string> out;
  if (v.k == K::nil || v.k == K::undefined)
    return R::ok(std::move(out));
  if (v.k != K::array)
    return R::fail("not an array of rooms");
  out.reserve(v.items.size());
  for (const auto& e : v.items) {
    std::string text;
    if (e.k == K::str)
      text.assign(e.bytes);
    else if (e.k == K::uint64 || e.k == K::int64 || e.k == K::float64) {
      std::vector<std::string> none;
      auto j = to_json(e, none);
      if (!j)
        return R::fail(j.error());
      text = *j;
    } else
      return R::fail("a room is neither a string nor a number");
    out.push_back(std::move(text));
  }
  return R::ok(std::move(out));
}

namespace {

std::optional<bool> flag(const mp_value& flags, std::string_view name) {
  auto* v = find_member(flags, name);
  if (v && v->k == K::boolean)
    return v->b;
  return std::nullopt;
}

} // namespace

result<broadcast_opts> read_opts(const mp_value& opts) {
  using R = result<broadcast_opts>;
  if (opts.k != K::map)
    return R::fail("opts is not a map");
  broadcast_opts out;
  for (auto [name, list] : {std::pair{"rooms", &out.rooms}, std::pair{"except", &out.except}}) {
    if (auto* v = find_member(opts, name)) {
      auto l = read_string_list(*v);
      if (!l)
        return R::fail(std::string{name} + ": " + l.error());
      *list = std::move(*l);
    }
  }
  if (auto* f = find_member(opts, "flags"); f && f->k == K::map) {
    out.flags.volatile_ = flag(*f, "volatile");
    out.flags.compress = flag(*f, "compress");
    out.flags.local = flag(*f, "local");
    out.flags.expect_single_response = flag(*f, "expectSingleResponse");
    if (auto* t = find_member(*f, "timeout")) {
      if (t->k == K::uint64) out.flags.timeout = static_cast<double>(t->u);
      else if (t->k == K::int64) out.flags.timeout = static_cast<double>(t->i);
      else if (t->k == K::float64) out.flags.timeout = t->f;
    }
  }
  return R::ok(std::move(out));
}

result<bool> read_packet(const mp_value& packet, adapter_broadcast& out,
                         const codec_limits& limits) {
  using R = result<bool>;
  if (packet.k != K::map)
    return R::fail("packet is not a map");
  auto* type = find_member(packet, "type");
  if (!type || type->k != K::uint64 || (type->u != 2 && type->u != 5))
    return R::fail("packet type is not EVENT (2) or BINARY_EVENT (5)");
  out.nsp = "/";
  if (auto* nsp = find_member(packet, "nsp"); nsp && nsp->k != K::undefined) {
    if (nsp->k != K::str)
      return R::fail("packet nsp is not a string");
    out.nsp.assign(nsp->bytes);
  }
  auto* data = find_member(packet, "data");
  if (!data || data->k != K::array || data->items.empty())
    return R::fail("packet data is not a non-empty array");
  out.attachments.clear();
  auto json = to_json(*data, out.attachments, limits);
  if (!json)
    return R::fail("packet data: " + json.error());
  out.data_json = std::move(*json);
  out.frames = event_frames(out.nsp, out.data_json, out.attachments);
  return R::ok(true);
}

result<adapter_broadcast> decode_broadcast(std::string_view bytes, const codec_limits& limits) {
  using R = result<adapter_broadcast>;
  auto v = decode_msgpack(bytes, limits);
  if (!v)
    return R::fail(v.error());
  if (v->k != K::array || v->items.size() < 3)
    return R::fail("broadcast is not an array [uid, packet, opts]");
  adapter_broadcast out;
  if (v->items[0].k != K::str)
    return R::fail("broadcast uid is not a string");
  out.uid.assign(v->items[0].bytes);
  auto p = read_packet(v->items[1], out, limits);
  if (!p)
    return R::fail(p.error());
  auto opts = read_opts(v->items[2]);
  if (!opts)
    return R::fail(opts.error());
  out.opts = std::move(*opts);
  return R::ok(std::move(out));
}

result<bool> write_packet(mp_writer& w, std::string_view nsp, const std::vector<frame>& frames) {
  using R = result<bool>;
  if (frames.empty() || frames[0].binary || frames[0].bytes.empty() || frames[0].bytes[0] != '4')
    return R::fail("first frame is not a text message");
  protocol::decoder_limits dl;
  dl.max_attachments = frames.size() - 1;
  dl.max_packet_size = std::numeric_limits<size_t>::max();
  protocol::sio_decoder dec{dl};
  auto st = dec.feed_text(std::string_view{frames[0].bytes}.substr(1));
  for (size_t k = 1; k < frames.size(); ++k) {
    if (st != protocol::sio_decoder::status::need_more || !frames[k].binary)
      return R::fail("frames do not match the packet's attachment count");
    st = dec.feed_binary(frames[k].bytes);
  }
  if (st != protocol::sio_decoder::status::complete)
    return R::fail(st == protocol::sio_decoder::status::invalid ? dec.error()
                                                                 : "attachments missing");
  auto packet = dec.take();
  if (packet.type != protocol::sio_packet_type::event
      && packet.type != protocol::sio_packet_type::binary_event)
    return R::fail("not an event");
  if (packet.nsp != nsp)
    return R::fail("the frames' namespace is not the broadcast's");
  // Node's key order: {type, data, nsp}; always type 2 (socket.io-parser
  // turns an EVENT with Buffers into a BINARY_EVENT, a 5 would be garbled).
  w.map(3);
  w.str("type");
  w.uinteger(2);
  w.str("data");
  auto data = append_json_as_msgpack(w, packet.data, packet.attachments);
  if (!data)
    return data;
  w.str("nsp");
  w.str(nsp);
  return R::ok(true);
}

void write_opts(mp_writer& w, const broadcast_opts& opts) {
  w.map(3);
  for (auto [name, list] : {std::pair{"rooms", &opts.rooms}, std::pair{"except", &opts.except}}) {
    w.str(name);
    w.array(list->size());
    for (const auto& r : *list)
      w.str(r);
  }
  const auto& f = opts.flags;
  w.str("flags");
  w.map(size_t{f.volatile_.has_value()} + f.compress.has_value() + f.local.has_value()
        + f.timeout.has_value() + f.expect_single_response.has_value());
  for (auto [name, value] : {std::pair{"volatile", &f.volatile_}, std::pair{"compress", &f.compress},
                             std::pair{"local", &f.local}})
    if (value->has_value()) {
      w.str(name);
      w.boolean(**value);
    }
  if (f.timeout) {
    w.str("timeout");
    w.number(*f.timeout);
  }
  if (f.expect_single_response) {
    w.str("expectSingleResponse");
    w.boolean(*f.expect_single_response);
  }
}

result<std::string> encode_broadcast(const adapter_broadcast& b) {
  std::string out;
  mp_writer w{out};
  w.array(3);
  w.str(b.uid);
  auto p = write_packet(w, b.nsp, b.frames);
  if (!p)
    return result<std::string>::fail(p.error());
  write_opts(w, b.opts);
  return result<std::string>::ok(std::move(out));
}

} // namespace sio::cluster
