#include "actors/asio_scheduler.hpp"

#include <asio/defer.hpp>
#include <asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

#include <algorithm>
#include <utility>

namespace sio {

/// What a running actor sees as its context: sends it makes to idle actors
/// come back here (exec_later) and are queued on the same thread.
class asio_scheduler::unit final : public caf::execution_unit {
public:
  /// `loop`: the io_context this thread runs (nullptr: none of ours).
  unit(asio_scheduler& owner, asio::io_context* loop)
    : caf::execution_unit(&owner.system()), owner_(owner), loop_(loop) {}

  void exec_later(caf::resumable* job) override { owner_.schedule(job); }

  asio_scheduler& owner() const noexcept { return owner_; }
  asio::io_context* loop() const noexcept { return loop_; }

private:
  asio_scheduler& owner_;
  asio::io_context* loop_;
};

namespace {

/// The unit of the scheduler thread running on this thread (or nullptr).
thread_local asio_scheduler::unit* current_unit = nullptr;

} // namespace

/// One queued resume of one actor. Holds the reference CAF gave with the
/// job; a handler destroyed unrun (at shutdown) gives it back.
struct asio_scheduler::job_handler {
  asio_scheduler* owner;
  caf::resumable* job;

  job_handler(asio_scheduler* o, caf::resumable* j) noexcept : owner(o), job(j) {}
  job_handler(job_handler&& other) noexcept
    : owner(other.owner), job(std::exchange(other.job, nullptr)) {}
  job_handler(const job_handler&) = delete;
  job_handler& operator=(const job_handler&) = delete;
  job_handler& operator=(job_handler&&) = delete;
  ~job_handler() {
    if (job != nullptr)
      cleanup_and_release(job);
  }

  void operator()() { owner->resume(std::exchange(job, nullptr)); }
};

asio_scheduler::asio_scheduler(caf::actor_system& sys, size_t threads)
  : caf::scheduler::abstract_coordinator(sys), pool_(threads) {
  // nop
}

asio_scheduler::~asio_scheduler() = default;

asio_scheduler* asio_scheduler::of(caf::actor_system& sys) noexcept {
  return dynamic_cast<asio_scheduler*>(&sys.scheduler());
}

void asio_scheduler::init(caf::actor_system_config& cfg) {
  abstract_coordinator::init(cfg);
  num_workers_ = pool_.size();
}

void asio_scheduler::start() {
  pool_.start([this](asio::io_context& loop) {
    caf::detail::set_thread_name("sio.loop");
    system().thread_started();
    unit u{*this, &loop};
    current_unit = &u;
    loop.run();
    current_unit = nullptr;
    system().thread_terminates();
  });
  clock_thread_ = std::thread{[this] {
    caf::detail::set_thread_name("caf.clock");
    system().thread_started();
    clock_.run_dispatch_loop();
    system().thread_terminates();
  }};
  abstract_coordinator::start();
}

void asio_scheduler::stop() {
  // The actor system has awaited its actors; what is still queued belongs
  // to actors that are gone. The clock goes first (its thread enqueues),
  // then the loops; handlers destroyed with them release their jobs, and
  // whatever is scheduled from now on is released at once. (An application
  // may not have stopped its service: the pool destroys the acceptor's loop
  // first.)
  stop_actors();
  clock_.cancel_dispatch_loop();
  if (clock_thread_.joinable())
    clock_thread_.join();
  pool_.stop();
  stopped_.store(true);
  pool_.release();
}

void asio_scheduler::enqueue(caf::resumable* job) {
  schedule(job);
}

void asio_scheduler::schedule(caf::resumable* job) {
  if (stopped_.load()) {
    cleanup_and_release(job); // no loop left to run it
    return;
  }
  // On one of our threads the job is a continuation of the running handler:
  // `defer` keeps it on this thread's queue (no lock, no wake-up). From any
  // other thread `post` hands it to a loop in turn and wakes its thread.
  if (current_unit != nullptr && &current_unit->owner() == this
      && current_unit->loop() != nullptr)
    asio::defer(*current_unit->loop(), job_handler{this, job});
  else
    asio::post(pool_[next_loop_.fetch_add(1, std::memory_order_relaxed) % pool_.size()],
               job_handler{this, job});
}

void asio_scheduler::resume(caf::resumable* job) {
  if (current_unit != nullptr && &current_unit->owner() == this) {
    resume_on(*current_unit, job);
    return;
  }
  // Someone else runs the io_context (io().poll() in a test, say).
  unit u{*this, nullptr};
  resume_on(u, job);
}

void asio_scheduler::resume_on(unit& u, caf::resumable* job) {
  switch (job->resume(&u, max_throughput_)) {
    case caf::resumable::resume_later:
      schedule(job);
      return;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
      caf::intrusive_ptr_release(job);
      return;
    case caf::resumable::shutdown_execution_unit:
      return;
  }
}

void use_asio_scheduler(caf::actor_system_config& cfg, size_t threads) {
  cfg.module_factories.push_back(
    [threads](caf::actor_system& sys) -> caf::actor_system::module* {
      return new asio_scheduler(sys, threads);
    });
}

} // namespace sio
