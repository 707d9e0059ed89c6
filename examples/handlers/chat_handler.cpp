#include "examples/handlers/chat_handler.hpp"

#include <sio/emitter.hpp>
#include <sio/event.hpp>

#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sio::demo {

namespace {

using clock = std::chrono::steady_clock;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// What the handler knows of one socket.
struct chat_member {
  std::string name;  ///< shown as `from` and in notices
  std::string nsp;
  std::vector<std::string> rooms;  ///< joined (or being joined) rooms
  bool connected = false;  ///< false until its connected_event arrives
};

struct chat_state {
  chat_settings cfg;
  emitter io;  ///< the hub, namespace "/" (of() for the socket's own)
  /// Socket id -> member; at most cfg.max_sockets entries.
  std::unordered_map<std::string, chat_member> members;
  /// Accepted sockets in accept order, so that those whose session died
  /// before it saw our verdict (no connected/disconnected event will ever
  /// come) are forgotten after cfg.pending_expiry. At most max_sockets.
  std::deque<std::pair<clock::time_point, std::string>> accepted;
};

using self_ptr = event_handler_actor::stateful_pointer<chat_state>;

// -- validation ----------------------------------------------------------------

/// Checks a UTF-8 string (already validated by the JSON parser): 1..max code
/// points, no C0/C1 control characters or DEL (tab and newline only when
/// `multiline`). Returns nullopt when fine, else what is wrong.
std::optional<std::string> check_text(std::string_view s, size_t max_chars,
                                      bool multiline) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80)
      ++chars;
    bool control = c < 0x20 || c == 0x7F;
    if (c == 0xC2 && i + 1 < s.size()) {
      auto n = static_cast<unsigned char>(s[i + 1]);
      control = n >= 0x80 && n <= 0x9F;  // U+0080..U+009F
    }
    if (control && !(multiline && (c == '\n' || c == '\t')))
      return std::string{"must not contain control characters"};
  }
  if (chars == 0 || chars > max_chars)
    return "must be 1-" + std::to_string(max_chars) + " characters";
  return std::nullopt;
}

/// True if `s` is empty or only spaces, tabs and line breaks.
bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Parses a JSON text with UTF-8 validation; false on any error.
bool parse_json(rapidjson::Document& doc, const std::string& text) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  return !doc.HasParseError();
}

std::string_view as_view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

/// The name a CONNECT auth asks for: nullopt when there is none (guest),
/// an error text in `why` when it is unusable.
std::optional<std::string> auth_name(const std::string& auth,
                                     const chat_settings& cfg,
                                     std::string& why) {
  if (auth.empty())
    return std::nullopt;
  rapidjson::Document doc;
  if (!parse_json(doc, auth) || !doc.IsObject())
    return std::nullopt;
  auto i = doc.FindMember("name");
  if (i == doc.MemberEnd() || i->value.IsNull())
    return std::nullopt;
  if (!i->value.IsString()) {
    why = "name must be a string";
    return std::nullopt;
  }
  auto name = as_view(i->value);
  if (name.empty())
    return std::nullopt;  // an empty field reads as "no name": a guest
  if (auto err = check_text(name, cfg.max_name_chars, false)) {
    why = "name " + *err;
    return std::nullopt;
  }
  if (blank(name)) {
    why = "name must not be blank";
    return std::nullopt;
  }
  return std::string{name};
}

// -- JSON answers ---------------------------------------------------------------

void put(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// The ack {"ok":false,"error":why} (nothing when none was asked for).
message_reply ack_error(const message_event& ev, std::string_view why) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("ok");
  w.Bool(false);
  w.Key("error");
  put(w, why);
  w.EndObject();
  return ack(ev, raw_json{buf.GetString()});
}

/// The ack {"ok":true} or {"ok":true,"room":room}.
message_reply ack_ok(const message_event& ev, std::string_view room = {}) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  if (!room.empty()) {
    w.Key("room");
    put(w, room);
  }
  w.EndObject();
  return ack(ev, raw_json{buf.GetString()});
}

// -- fan-out --------------------------------------------------------------------

/// Sends event `name` with one argument (a JSON object) to a room.
void to_room(self_ptr self, const std::string& nsp, const std::string& room,
             std::string_view name, std::string arg_json) {
  self->state.io.of(nsp).to(room).emit(name, raw_json{std::move(arg_json)});
}

/// `system` {room, text:"<user> <verb> <room>", at} to the room.
void notice(self_ptr self, const std::string& nsp, const std::string& room,
            const std::string& user, std::string_view verb) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("room");
  put(w, room);
  w.Key("text");
  put(w, user + " " + std::string{verb} + " " + room);
  w.Key("at");
  w.Int64(now_ms());
  w.EndObject();
  to_room(self, nsp, room, "system", buf.GetString());
}

// -- state ----------------------------------------------------------------------

/// Forgets accepted sockets that never connected within the expiry time and
/// keeps the accept log within max_sockets entries.
void expire(chat_state& st, clock::time_point now) {
  while (!st.accepted.empty()
         && (st.accepted.front().first + st.cfg.pending_expiry <= now
             || st.accepted.size() >= st.cfg.max_sockets)) {
    auto i = st.members.find(st.accepted.front().second);
    if (i != st.members.end() && !i->second.connected)
      st.members.erase(i);
    st.accepted.pop_front();
  }
}

std::string guest_name(const socket_ref& s) {
  return "guest-" + s.socket_id.substr(0, 6);
}

/// The member of `s`; created (as a guest) when unknown, e.g. after its
/// accept entry expired. nullptr when the handler is full.
chat_member* member_of(self_ptr self, const socket_ref& s) {
  auto& st = self->state;
  if (auto i = st.members.find(s.socket_id); i != st.members.end())
    return &i->second;
  if (st.members.size() >= st.cfg.max_sockets)
    return nullptr;
  chat_member m;
  m.name = s.user_id.empty() ? guest_name(s) : s.user_id;
  m.nsp = s.nsp;
  m.connected = true;
  return &st.members.emplace(s.socket_id, std::move(m)).first->second;
}

/// The room named by the first argument (a string); nullptr + `why` if bad.
const rapidjson::Value* room_arg(const rapidjson::Value& v,
                                 const chat_settings& cfg, std::string& why) {
  if (!v.IsString()) {
    why = "room must be a string";
    return nullptr;
  }
  if (auto err = check_text(as_view(v), cfg.max_room_chars, false)) {
    why = "room " + *err;
    return nullptr;
  }
  return &v;
}

// -- events ---------------------------------------------------------------------

message_reply on_join(self_ptr self, const message_event& ev, const event& e) {
  auto& st = self->state;
  std::string why;
  auto* v = e.size() > 0 ? room_arg(*e.arg(0), st.cfg, why) : nullptr;
  if (!v)
    return ack_error(ev, why.empty() ? "join needs a room" : why);
  std::string room{as_view(*v)};
  auto* m = member_of(self, ev.socket);
  if (!m)
    return ack_error(ev, "chat is full");
  if (std::find(m->rooms.begin(), m->rooms.end(), room) != m->rooms.end())
    return ack_ok(ev, room);  // already in it: no new notice
  if (m->rooms.size() >= st.cfg.max_rooms_per_socket)
    return ack_error(ev, "too many rooms (at most "
                           + std::to_string(st.cfg.max_rooms_per_socket) + ")");
  m->rooms.push_back(room);
  // The socket's own room names just its connection. The hub applies the
  // join before any later command of ours, so the notice reaches the
  // joiner too; a socket gone meanwhile is in no room to join with.
  st.io.of(m->nsp).to(ev.socket.socket_id).join(room);
  notice(self, m->nsp, room, m->name, "joined");
  return ack_ok(ev, room);
}

message_reply on_leave(self_ptr self, const message_event& ev, const event& e) {
  auto& st = self->state;
  std::string why;
  auto* v = e.size() > 0 ? room_arg(*e.arg(0), st.cfg, why) : nullptr;
  if (!v)
    return ack_error(ev, why.empty() ? "leave needs a room" : why);
  std::string room{as_view(*v)};
  auto i = st.members.find(ev.socket.socket_id);
  if (i == st.members.end())
    return ack_error(ev, "not in room " + room);
  auto& m = i->second;
  auto r = std::find(m.rooms.begin(), m.rooms.end(), room);
  if (r == m.rooms.end())
    return ack_error(ev, "not in room " + room);
  m.rooms.erase(r);
  // The hub applies the leave before the notice: the leaver misses it.
  st.io.of(m.nsp).to(ev.socket.socket_id).leave(room);
  notice(self, m.nsp, room, m.name, "left");
  return ack_ok(ev, room);
}

message_reply on_chat_message(self_ptr self, const message_event& ev,
                              const event& e) {
  auto& st = self->state;
  auto* obj = e.arg(0);
  if (!obj || !obj->IsObject())
    return ack_error(ev, "message needs {room, text}");
  auto r = obj->FindMember("room");
  std::string why;
  if (r == obj->MemberEnd() || !room_arg(r->value, st.cfg, why))
    return ack_error(ev, why.empty() ? "message needs a room" : why);
  auto t = obj->FindMember("text");
  if (t == obj->MemberEnd() || !t->value.IsString())
    return ack_error(ev, "text must be a string");
  auto text = as_view(t->value);
  if (auto err = check_text(text, st.cfg.max_text_chars, true))
    return ack_error(ev, "text " + *err);
  if (blank(text))
    return ack_error(ev, "text must not be blank");
  std::string room{as_view(r->value)};
  auto i = st.members.find(ev.socket.socket_id);
  if (i == st.members.end()
      || std::find(i->second.rooms.begin(), i->second.rooms.end(), room)
           == i->second.rooms.end())
    return ack_error(ev, "join room " + room + " first");
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("room");
  put(w, room);
  w.Key("from");
  put(w, i->second.name);
  w.Key("text");
  put(w, text);
  w.Key("at");
  w.Int64(now_ms());
  w.EndObject();
  to_room(self, i->second.nsp, room, "message", buf.GetString());
  return ack_ok(ev);
}

event_handler_actor::behavior_type chat_impl(self_ptr self, hub_actor hub,
                                             chat_settings cfg) {
  self->state.io = emitter{std::move(hub)};
  self->state.cfg = cfg;
  return {
    [self](const connect_event& ev) -> connect_verdict {
      auto& st = self->state;
      auto now = clock::now();
      expire(st, now);
      std::string why;
      auto name = auth_name(ev.auth, st.cfg, why);
      if (!why.empty())
        return reject(why);
      if (st.members.size() >= st.cfg.max_sockets)
        return reject("chat is full");
      chat_member m;
      if (!ev.socket.user_id.empty())
        m.name = ev.socket.user_id;
      else
        m.name = name ? std::move(*name) : guest_name(ev.socket);
      m.nsp = ev.socket.nsp;
      st.members[ev.socket.socket_id] = std::move(m);
      st.accepted.emplace_back(now, ev.socket.socket_id);
      return connect_verdict::accept();
    },
    [self](const connected_event& ev) {
      if (auto* m = member_of(self, ev.socket))
        m->connected = true;
    },
    [self](const disconnected_event& ev) {
      auto& st = self->state;
      auto i = st.members.find(ev.socket.socket_id);
      if (i == st.members.end())
        return;
      auto m = std::move(i->second);
      st.members.erase(i);
      // The hub drops the socket from the namespace's rooms itself; the
      // others only need to hear about it.
      for (auto& room : m.rooms)
        notice(self, m.nsp, room, m.name, "left");
    },
    [self](const message_event& ev) -> message_reply {
      // Binary attachments are never read, nor echoed in the acks.
      auto e = event::read(ev);
      if (!e)
        return {};
      if (e->name() == "join")
        return on_join(self, ev, *e);
      if (e->name() == "leave")
        return on_leave(self, ev, *e);
      if (e->name() == "message")
        return on_chat_message(self, ev, *e);
      return ack_error(ev, "unknown event " + e->name());
    },
  };
}

} // namespace

event_handler_actor spawn_chat_handler(caf::actor_system& sys, hub_actor hub,
                                       chat_settings settings) {
  return sys.spawn(chat_impl, std::move(hub), settings);
}

} // namespace sio::demo
