#include <sio/run.hpp>

#include <semaphore.h>

#include <cerrno>
#include <csignal>
#include <exception>
#include <iostream>

namespace sio {

namespace {

/// Posted by the signal handler (sem_post is async-signal-safe), waited on
/// by run_until_signal: the signal may land on any thread of the process
/// (the actor system's threads exist before main gets here), so waiting
/// with sigwait in one thread would not see it.
sem_t stop_requested;
volatile std::sig_atomic_t received_signal = 0;

extern "C" void on_stop_signal(int sig) {
  received_signal = sig;
  sem_post(&stop_requested);
}

} // namespace

int run_until_signal(service& svc, const std::string& stop_reason) {
  sem_init(&stop_requested, 0, 0);
  struct sigaction act {};
  act.sa_handler = on_stop_signal;
  sigemptyset(&act.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &act, &old_int);
  sigaction(SIGTERM, &act, &old_term);
  int code = 0;
  try {
    svc.start();
    std::cout << "connection string: " << svc.connection_string() << "\n";
    for (auto& hub : svc.config().hubs)
      std::cout << "client url (hub " << hub.name << "): " << svc.client_url(hub.name)
                << "\n";
    std::cout.flush();
    while (sem_wait(&stop_requested) != 0 && errno == EINTR)
      continue;
    std::cerr << "received signal " << received_signal << ", shutting down\n";
  } catch (const std::exception& e) {
    std::cerr << "cannot start: " << e.what() << "\n";
    code = 1;
  }
  svc.stop(stop_reason);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sem_destroy(&stop_requested);
  return code;
}

} // namespace sio
