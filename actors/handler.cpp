#include <sio/handler.hpp>
#include "actors/event_payloads.hpp"
#include "actors/guarded_call.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <stdexcept>

namespace sio {

// -- defaults ----------------------------------------------------------------

actor_handler_base::~actor_handler_base() = default;

connect_verdict handler::on_connect(const connect_event&) {
  return connect_verdict::accept();
}

void handler::on_connected(const connected_event&) {
  // nop
}

void handler::on_disconnected(const disconnected_event&) {
  // nop
}

message_reply handler::on_message(const message_event&) {
  return {};
}

std::optional<connect_verdict> stage::on_connect(connect_event&) {
  return std::nullopt;
}

void stage::on_connected(const connected_event&) {
  // nop
}

void stage::on_disconnected(const disconnected_event&) {
  // nop
}

std::optional<message_reply> stage::on_message(message_event&) {
  return std::nullopt;
}

// -- timers ------------------------------------------------------------------

namespace {

/// A timer of a handler's actor is due; the id names it.
using handler_timer_atom = caf::atom_constant<caf::atom("hdl_timer")>;

/// The interval that marks a one-shot timer (every() never stores it).
constexpr std::chrono::milliseconds one_shot{0};

/// Has timer `id` of `self` fire after `delay`.
void arm(caf::event_based_actor* self, std::chrono::milliseconds delay, uint64_t id) {
  self->delayed_send(caf::actor_cast<caf::actor>(self), delay,
                     handler_timer_atom::value, id);
}

} // namespace

void actor_handler_base::every(std::chrono::milliseconds interval,
                               std::function<void()> fn) {
  if (!self_)
    throw std::logic_error("sio::handler::every: call it on the handler's actor "
                           "(on_start or later)");
  // At least 1 ms: a zero interval would mean one-shot, and a busy loop.
  interval = std::max(interval, std::chrono::milliseconds{1});
  auto id = next_timer_++;
  timers_.emplace(id, std::make_pair(interval, std::move(fn)));
  arm(self_, interval, id);
}

void actor_handler_base::after(std::chrono::milliseconds delay,
                               std::function<void()> fn) {
  if (!self_)
    throw std::logic_error("sio::handler::after: call it on the handler's actor "
                           "(on_start or later)");
  auto id = next_timer_++;
  timers_.emplace(id, std::make_pair(one_shot, std::move(fn)));
  arm(self_, std::max(delay, std::chrono::milliseconds{0}), id);
}

// -- the actors --------------------------------------------------------------

namespace detail {

/// What the actors below do with actor_handler_base's private parts.
struct handler_host {
  /// Binds `h` to its actor and hub, then runs its on_start.
  static void start(actor_handler_base& h, caf::event_based_actor* self,
                    hub_actor hub, const char* who) {
    h.io_ = emitter(std::move(hub));
    h.self_ = self;
    notify_logged(who, "start", [&] { h.on_start(); });
  }

  /// Runs timer `id`; an `every` timer is armed again once its callback
  /// returned, so a slow callback delays the next run instead of piling up.
  static void fire(actor_handler_base& h, uint64_t id, const char* who) {
    auto i = h.timers_.find(id);
    if (i == h.timers_.end())
      return;
    if (i->second.first == one_shot) {
      auto fn = std::move(i->second.second);
      h.timers_.erase(i);
      notify_logged(who, "timer", fn);
      return;
    }
    // Elements of an unordered_map stay put when a callback adds timers.
    auto& [interval, fn] = i->second;
    notify_logged(who, "timer", fn);
    arm(h.self_, interval, id);
  }
};

} // namespace detail

namespace {

/// Runs a sio::handler: the actor owns it, calls it one message at a time
/// and destroys it when it ends (pending timers die with it).
class handler_actor : public caf::event_based_actor {
public:
  handler_actor(caf::actor_config& cfg, hub_actor hub, std::unique_ptr<handler> h)
    : caf::event_based_actor(cfg), hub_(std::move(hub)), h_(std::move(h)) {}

  caf::behavior make_behavior() override {
    detail::handler_host::start(*h_, this, std::move(hub_), who);
    return {
      // An exception fails the connect as any failed handler does: the
      // session rejects with "event handler failed: <what>" and counts it.
      [this](const connect_event& ev) -> caf::result<connect_verdict> {
        return detail::answer_or_error([&] { return h_->on_connect(ev); });
      },
      [this](const connected_event& ev) {
        detail::notify_logged(who, "connected", [&] { h_->on_connected(ev); });
      },
      [this](const disconnected_event& ev) {
        detail::notify_logged(who, "disconnected", [&] { h_->on_disconnected(ev); });
      },
      [this](const message_event& ev) {
        return detail::answer_or_error([&] { return h_->on_message(ev); });
      },
      [this](handler_timer_atom, uint64_t id) {
        detail::handler_host::fire(*h_, id, who);
      },
    };
  }

  void on_exit() override { h_.reset(); }

private:
  static constexpr const char* who = "handler";
  hub_actor hub_;
  std::unique_ptr<handler> h_;
};

/// Runs a sio::stage in front of `next`.
class stage_actor : public caf::event_based_actor {
public:
  stage_actor(caf::actor_config& cfg, hub_actor hub, event_handler_actor next,
              std::unique_ptr<stage> s)
    : caf::event_based_actor(cfg),
      hub_(std::move(hub)),
      next_(std::move(next)),
      s_(std::move(s)) {}

  /// The stage's answer to `ev`, or `ev` passed on to the next handler
  /// (`none` without one). An exception fails the call, as a failed
  /// handler's does: the session rejects (connect) or drops (event) and
  /// counts it.
  template <class Event, class Answer, class Call>
  caf::result<Answer> answer_or_pass(Event& ev, Answer none, Call call) {
    std::optional<Answer> answer;
    try {
      answer = call();
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error,
                             detail::exception_text(std::current_exception()));
    }
    if (answer)
      return std::move(*answer);
    if (!next_)
      return none;
    return delegate(next_, std::move(ev));
  }

  caf::behavior make_behavior() override {
    if (next_)
      link_to(next_);
    detail::handler_host::start(*s_, this, std::move(hub_), who);
    return {
      [this](connect_event& ev) -> caf::result<connect_verdict> {
        return answer_or_pass(ev, connect_verdict::accept(),
                              [&] { return s_->on_connect(ev); });
      },
      [this](const connected_event& ev) {
        detail::notify_logged(who, "connected", [&] { s_->on_connected(ev); });
        if (next_)
          send(next_, ev);
      },
      [this](const disconnected_event& ev) {
        detail::notify_logged(who, "disconnected", [&] { s_->on_disconnected(ev); });
        if (next_)
          send(next_, ev);
      },
      [this](message_event& ev) -> caf::result<message_reply> {
        return answer_or_pass(ev, message_reply{}, [&] { return s_->on_message(ev); });
      },
      [this](handler_timer_atom, uint64_t id) {
        detail::handler_host::fire(*s_, id, who);
      },
    };
  }

  void on_exit() override { s_.reset(); }

private:
  static constexpr const char* who = "stage";
  hub_actor hub_;
  event_handler_actor next_;
  std::unique_ptr<stage> s_;
};

} // namespace

// The actors are dynamically typed so that their self is the
// caf::event_based_actor that actor_handler_base::self() hands out and so
// that they take their own timer messages; their behaviors answer exactly
// event_handler_actor's messages, which the handle they return promises.
event_handler_actor spawn_handler(caf::actor_system& sys, hub_actor hub,
                                  std::unique_ptr<handler> h) {
  if (!h)
    throw std::invalid_argument("sio::spawn_handler: no handler");
  return caf::actor_cast<event_handler_actor>(
    sys.spawn<handler_actor>(std::move(hub), std::move(h)));
}

event_handler_actor spawn_stage(caf::actor_system& sys, hub_actor hub,
                                event_handler_actor next, std::unique_ptr<stage> s) {
  if (!s)
    throw std::invalid_argument("sio::spawn_stage: no stage");
  return caf::actor_cast<event_handler_actor>(
    sys.spawn<stage_actor>(std::move(hub), std::move(next), std::move(s)));
}

} // namespace sio
