#include "actors/tick_wheel.hpp"

#include <caf/message_id.hpp>

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace sio {

tick_wheel::tick_wheel(std::chrono::milliseconds resolution, caf::message tick)
  : resolution_(std::max(resolution, std::chrono::milliseconds{1})),
    epoch_(clock::now()),
    tick_(std::move(tick)) {
  thread_ = std::thread{[this] { run(); }};
}

tick_wheel::~tick_wheel() {
  stop();
}

void tick_wheel::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return;
    stopping_ = true;
  }
  wakeup_.notify_one();
  // Never runs on the wheel's thread: that thread only enqueues messages
  // and releases actor pointers, which frees no actor state (CAF destroys
  // a stateful actor's state when it exits, on the thread running it).
  thread_.join();
  std::lock_guard<std::mutex> guard{mtx_};
  slots_.clear();
  cancelled_.clear();
  pending_ = 0;
}

void tick_wheel::wake_at(clock::time_point due, caf::strong_actor_ptr who) {
  if (!who)
    return;
  // Rounded up: the slot ends at or after `due`.
  auto since = std::max(due - epoch_, clock::duration::zero());
  auto slot = static_cast<int64_t>((since + resolution_ - clock::duration{1})
                                   / resolution_);
  bool earliest;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return;
    earliest = slots_.empty() || slot < slots_.begin()->first;
    slots_[slot].push_back(std::move(who));
    ++pending_;
  }
  if (earliest)
    wakeup_.notify_one();
}

void tick_wheel::cancel(caf::strong_actor_ptr who) {
  if (!who)
    return;
  auto now = clock::now();
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return;
    if (cancelled_.empty()) {
      sweep_at_ = now + max_sweep_delay;
      wake = true;
    }
    cancelled_.push_back(std::move(who));
    // A pass costs one look at every pending wake-up: worth it once the
    // cancelled actors are a sixteenth of them.
    if (sweep_at_ > now && cancelled_.size() * 16 >= pending_) {
      sweep_at_ = now;
      wake = true;
    }
  }
  if (wake)
    wakeup_.notify_one();
}

std::vector<caf::strong_actor_ptr> tick_wheel::sweep_cancelled() {
  std::unordered_set<const caf::actor_control_block*> gone;
  gone.reserve(cancelled_.size());
  for (auto& who : cancelled_)
    gone.insert(who.get());
  std::vector<caf::strong_actor_ptr> released = std::move(cancelled_);
  cancelled_.clear();
  for (auto i = slots_.begin(); i != slots_.end();) {
    auto& entries = i->second;
    auto kept = std::partition(entries.begin(), entries.end(),
                               [&](const caf::strong_actor_ptr& who) {
                                 return gone.count(who.get()) == 0;
                               });
    pending_ -= static_cast<size_t>(entries.end() - kept);
    std::move(kept, entries.end(), std::back_inserter(released));
    entries.erase(kept, entries.end());
    i = entries.empty() ? slots_.erase(i) : std::next(i);
  }
  return released;
}

size_t tick_wheel::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return pending_;
}

void tick_wheel::run() {
  std::vector<caf::strong_actor_ptr> due;
  std::unique_lock<std::mutex> lock{mtx_};
  for (;;) {
    if (stopping_)
      return;
    auto now = clock::now();
    if (!cancelled_.empty() && now >= sweep_at_) {
      auto released = sweep_cancelled();
      lock.unlock();
      released.clear();
      lock.lock();
      continue;
    }
    if (slots_.empty() && cancelled_.empty()) {
      wakeup_.wait(lock);
      continue;
    }
    auto first = slots_.begin();
    auto at = first != slots_.end() ? epoch_ + first->first * resolution_
                                    : clock::time_point::max();
    if (!cancelled_.empty())
      at = std::min(at, sweep_at_);
    if (now < at || first == slots_.end()) {
      wakeup_.wait_until(lock, at);
      continue;
    }
    due.swap(first->second);
    slots_.erase(first);
    pending_ -= due.size();
    lock.unlock();
    // Outside the lock: a woken actor may ask for its next wake-up at once.
    for (auto& who : due)
      who->enqueue(nullptr, caf::make_message_id(), tick_, nullptr);
    due.clear();
    lock.lock();
  }
}

} // namespace sio
