// tests/actors/session_event.hpp
// Client events built as a session builds them, for the tests of the event
// readers (event_payloads, sio::event, sio::args_of).
#pragma once

#include <sio/event_handler.hpp>

#include "lib/protocol/base64.hpp"
#include "lib/protocol/sio_decoder.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace sio_test {

/// A message_event as the session builds it from `text` (after the
/// Engine.IO '4') and `attachments`, args_offset included: the decoder
/// leaves the event's data in the text and says where it is.
inline sio::message_event as_session_would(const std::string& text,
                                           const std::vector<std::string>& attachments = {}) {
  sio::protocol::decoder_limits limits;
  limits.copy_event_data = false;
  sio::protocol::sio_decoder dec{limits};
  auto st = dec.feed_text(text);
  for (auto& a : attachments)
    st = dec.feed_binary(a);
  BOOST_TEST_REQUIRE((st == sio::protocol::sio_decoder::status::complete), text);
  auto p = dec.take();
  const auto& head = dec.last_event_head();
  BOOST_TEST_REQUIRE(head.has_value(), text);
  BOOST_TEST(p.data.empty(), text);
  auto data = text.substr(head->data_offset);
  sio::message_event ev;
  ev.socket.nsp = p.nsp;
  ev.socket.socket_id = "s1";
  ev.event_name = head->name.value_or(data.substr(1, data.find_first_of(",]") - 1));
  ev.packet = "4" + text;
  ev.args_offset = 1 + head->data_offset + head->first_end;
  ev.attachments = p.attachments;
  ev.has_ack = p.id.has_value();
  ev.ack_id = p.id.value_or(0);
  return ev;
}

/// "b" + base64 of `bytes`: an attachment in a polling payload.
inline std::string segment(const std::string& bytes) {
  return "\x1e" "b" + sio::protocol::base64_encode(bytes);
}

} // namespace sio_test
