#include "actors/session_polling.hpp"

#include "actors/session_engineio.hpp"
#include "actors/session_heartbeat.hpp"
#include "lib/protocol/eio_codec.hpp"
#include "lib/protocol/eio_error.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace sio::session {

http::response bad_request() {
  return http::response::json(
    400, protocol::eio_error_body(protocol::eio_error::bad_request));
}

void flush_poll(self_ptr self) {
  auto* pl = self->state.polling.get();
  if (!pl || !pl->poll || pl->queue.empty())
    return;
  std::string body;
  body.reserve(pl->queued_bytes + pl->queue.size() * 2);
  for (auto& p : pl->queue)
    protocol::append_frame_to_payload(body, *p.frame, p.binary);
  pl->queue.clear();
  pl->queued_bytes = 0;
  auto r = http::response::text(200, std::move(body));
  r.headers.emplace_back("Cache-Control", "no-store");
  pl->poll->respond(std::move(r));
  pl->poll.reset();
}

void queue_for_poll(self_ptr self, const wire_packet& p) {
  auto& st = self->state;
  auto& pl = *st.polling;
  pl.queue.push_back(p);
  pl.queued_bytes += p.frame->size();
  if (pl.queued_bytes > st.ctx->settings.max_queued_bytes) {
    // A polling client that does not fetch its packets: bound the memory.
    pl.queue.clear();
    pl.queued_bytes = 0;
    close_session(self, "transport error");
    return;
  }
  flush_poll(self);
}

void on_poll(self_ptr self, uint64_t id, http::exchange& ex) {
  auto& st = self->state;
  if (st.websocket) {
    ex.respond(bad_request()); // transport mismatch after an upgrade
    return;
  }
  auto& pl = *st.polling;
  if (!st.closed && close_if_pong_overdue(self)) {
    ex.respond(bad_request());
    return;
  }
  if (st.closed) {
    if (!pl.queue.empty()) {
      pl.poll = std::move(ex);
      flush_poll(self);
      finish(self);
    } else {
      ex.respond(bad_request());
    }
    return;
  }
  if (pl.poll) {
    // A second concurrent GET: the protocol closes the session.
    ex.respond(bad_request());
    close_session(self, "transport error");
    return;
  }
  pl.poll = std::move(ex);
  pl.poll_id = id;
  flush_poll(self);
}

void on_post(self_ptr self, http::exchange& ex) {
  auto& st = self->state;
  if (close_if_pong_overdue(self) || st.websocket) {
    ex.respond(bad_request());
    return;
  }
  protocol::payload_limits limits;
  limits.max_packet_size = st.ctx->settings.max_payload;
  auto packets = protocol::decode_payload(ex.req().body, limits);
  if (!packets) {
    spdlog::info("connection={} posted an invalid payload: {}",
                 st.connection_id, packets.error());
    ex.respond(bad_request());
    close_session(self, "parse error");
    return;
  }
  http::response ok;
  ok.headers.emplace_back("Content-Type", "text/html");
  ok.body = "ok";
  ex.respond(std::move(ok));
  for (auto& p : *packets) {
    if (self->state.closed)
      break;
    on_packet(self, p);
  }
}

void on_poll_aborted(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto* pl = st.polling.get();
  if (pl && pl->poll && pl->poll_id == id) {
    pl->poll.reset();
    if (!pl->probe.conn && !st.closed)
      close_session(self, "transport close");
  }
}

} // namespace sio::session
