#include "lib/http/loop_pool.hpp"

#include <algorithm>
#include <utility>

namespace sio::http {

loop_pool::loop_pool(size_t loops) {
  // Concurrency hint 1: one thread runs each loop (others only post to it);
  // Asio then queues a handler scheduled from that thread without a lock.
  for (size_t i = 0; i < std::max<size_t>(loops, 1); ++i)
    loops_.push_back(std::make_unique<asio::io_context>(1));
}

loop_pool::~loop_pool() {
  stop();
  release();
}

std::vector<asio::io_context*> loop_pool::loops() const {
  std::vector<asio::io_context*> out;
  out.reserve(loops_.size());
  for (auto& l : loops_)
    out.push_back(l.get());
  return out;
}

void loop_pool::start(thread_body body) {
  if (!threads_.empty() || loops_.empty())
    return;
  if (!body)
    body = [](asio::io_context& loop) { loop.run(); };
  for (auto& l : loops_) {
    work_.push_back(asio::make_work_guard(*l));
    threads_.emplace_back([body, loop = l.get()] { body(*loop); });
  }
}

void loop_pool::stop() {
  work_.clear();
  for (auto& l : loops_)
    l->stop();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

void loop_pool::release() {
  // Front to back: see the header.
  for (auto& l : loops_)
    l.reset();
  loops_.clear();
}

} // namespace sio::http
