#include "actors/tick_wheel.hpp"

#include <caf/message_id.hpp>

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
    if (slots_.empty()) {
      wakeup_.wait(lock);
      continue;
    }
    auto first = slots_.begin();
    auto at = epoch_ + first->first * resolution_;
    if (clock::now() < at) {
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
