// tests/integration/emitter_probe: a service whose handler lets a test's
// socket.io-client sockets drive sio::emitter, sio::event and its replies
// (tests/integration/emitter.test.mjs):
//
// - event `cmd` {op, nsp, to, except, user, room, event, args, thread}:
//   builds io.of(nsp).to(..).except(..) / to_user(user) and calls
//   emit(event, args) (from a thread of its own when `thread`),
//   join(room), leave(room) or disconnect(op == "close"); acks "done";
// - event `echo`: emit_back("echo", the event's arguments);
// - event `ackecho`: acks with the event's arguments;
// - event `bad`: acks with values args must escape or replace;
// - namespace /deny: reject("denied here", {code: 4, why: "test"});
// - a CONNECT with auth {user} sets the connection's user.
// Binary arguments (placeholders) become sio::binary again; an array of
// binaries becomes a nested array (std::vector<sio::binary>).
//
//   emitter-probe     (prints "client url (hub probe): http://...")

#include <sio/service.hpp>
#include "actors/type_registry.hpp"
#include <sio/emitter.hpp>
#include <sio/event.hpp>

#include <caf/all.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <csignal>
#include <iostream>
#include <thread>

namespace {

/// A string member of `v`, or "".
std::string string_member(const rapidjson::Value& v, const char* name) {
  auto i = v.FindMember(name);
  if (i == v.MemberEnd() || !i->value.IsString())
    return {};
  return {i->value.GetString(), i->value.GetStringLength()};
}

/// The strings of an array member of `v`.
std::vector<std::string> strings_member(const rapidjson::Value& v, const char* name) {
  std::vector<std::string> out;
  auto i = v.FindMember(name);
  if (i == v.MemberEnd() || !i->value.IsArray())
    return out;
  for (auto& s : i->value.GetArray())
    if (s.IsString())
      out.emplace_back(s.GetString(), s.GetStringLength());
  return out;
}

/// Pushes `v` onto `a`: a placeholder as its binary, an array of
/// placeholders as a nested array of binaries, anything else as JSON.
void push_value(sio::args& a, const sio::event& ev, const rapidjson::Value& v) {
  if (auto* bytes = ev.binary_at(v)) {
    a.push(sio::binary{*bytes});
    return;
  }
  if (v.IsArray() && !v.Empty()) {
    std::vector<sio::binary> items;
    for (auto& item : v.GetArray())
      if (auto* bytes = ev.binary_at(item))
        items.push_back({*bytes});
    if (items.size() == v.Size()) {
      a.push(items);
      return;
    }
  }
  a.push(v);
}

/// The event's own arguments as args (binaries included).
sio::args args_of(const sio::event& ev) {
  sio::args a;
  for (size_t i = 0; i < ev.size(); ++i)
    push_value(a, ev, *ev.arg(i));
  return a;
}

/// Runs the `cmd` event's command against the hub.
void run_command(const sio::hub_actor& hub, const sio::event& ev) {
  const auto* cmd = ev.arg(0);
  if (!cmd || !cmd->IsObject())
    return;
  sio::emitter io{hub};
  if (auto nsp = string_member(*cmd, "nsp"); !nsp.empty())
    io = io.of(nsp);
  for (auto& room : strings_member(*cmd, "to"))
    io = io.to(room);
  if (cmd->HasMember("user"))
    io = io.to_user(string_member(*cmd, "user"));
  for (auto& room : strings_member(*cmd, "except"))
    io = io.except(room);
  auto op = string_member(*cmd, "op");
  if (op == "emit") {
    sio::args a;
    if (auto i = cmd->FindMember("args"); i != cmd->MemberEnd() && i->value.IsArray())
      for (auto& v : i->value.GetArray())
        push_value(a, ev, v);
    auto name = string_member(*cmd, "event");
    auto thread = cmd->FindMember("thread");
    if (thread != cmd->MemberEnd() && thread->value.IsTrue())
      std::thread{[io, name, a] { io.emit(name, a); }}.join();
    else
      io.emit(name, a);
  } else if (op == "join") {
    io.join(string_member(*cmd, "room"));
  } else if (op == "leave") {
    io.leave(string_member(*cmd, "room"));
  } else if (op == "disconnect" || op == "close") {
    io.disconnect(op == "close");
  }
}

sio::event_handler_actor::behavior_type probe(sio::event_handler_actor::pointer,
                                              sio::hub_actor hub) {
  return {
    [](sio::connect_event& ev) {
      if (ev.socket.nsp == "/deny") {
        rapidjson::Document data;
        data.Parse(R"({"code":4,"why":"test"})");
        sio::args a{data};
        return sio::reject("denied here", &a);
      }
      rapidjson::Document auth;
      auth.Parse(ev.auth.data(), ev.auth.size());
      if (!auth.HasParseError() && auth.IsObject())
        if (auto user = string_member(auth, "user"); !user.empty())
          return sio::connect_verdict::accept_as(user);
      return sio::connect_verdict::accept();
    },
    [](sio::connected_event&) {},
    [](sio::disconnected_event&) {},
    [hub](sio::message_event& ev) -> sio::message_reply {
      auto e = sio::event::read(ev);
      if (!e)
        return sio::message_reply::close("not an event");
      if (e->name() == "cmd") {
        run_command(hub, *e);
        return sio::ack(ev, "done");
      }
      if (e->name() == "echo")
        return sio::emit_back(ev, "echo", args_of(*e));
      if (e->name() == "ackecho")
        return sio::ack(ev, args_of(*e));
      if (e->name() == "bad")
        return sio::ack(ev, std::nan(""), HUGE_VAL, "quote\" back\\ nl\n \x01 bad\xFF",
                        std::vector<int>{1, 2}, sio::raw_json{R"({"raw":[true]})"},
                        nullptr, static_cast<uint64_t>(18446744073709551615ull));
      return {};
    },
  };
}

} // namespace

int main() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  caf::actor_system_config caf_cfg;
  sio::register_message_types(caf_cfg);
  caf_cfg.set("scheduler.max-threads", 2);
  caf_cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{caf_cfg};
  {
    sio::config::service_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    sio::config::hub_setting hub;
    hub.name = "probe";
    hub.allow_anonymous = true;
    cfg.hubs.push_back(hub);
    sio::service svc{sys, cfg};
    svc.set_handler("probe", [](caf::actor_system& s, sio::hub_actor h) {
      return s.spawn(probe, std::move(h));
    });
    try {
      svc.start();
    } catch (const std::exception& e) {
      std::cerr << "cannot start: " << e.what() << "\n";
      return 1;
    }
    std::cout << "client url (hub probe): " << svc.client_url("probe") << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    svc.stop();
  }
  return 0;
}
