// lib/cluster/hiredis_asio.cpp
#include "lib/cluster/hiredis_asio.hpp"

#include <asio/posix/stream_descriptor.hpp>

#include <memory>

namespace sio::cluster {

namespace {

// What hiredis's ev.data points to. Owned by itself (`self`) from attach
// until hiredis's cleanup hook, and by every queued async_wait handler, so a
// wait that completes after cleanup still finds valid memory (and ac null).
struct asio_events {
  explicit asio_events(const asio::any_io_executor& ex) : fd(ex) {
    // nop
  }

  ~asio_events() {
    // hiredis closes the fd (redisFree); Asio must never do it.
    if (fd.is_open())
      fd.release();
  }

  /// The context, or null once hiredis called cleanup.
  redisAsyncContext* ac = nullptr;
  asio::posix::stream_descriptor fd;
  /// What hiredis currently asks for (addRead/delRead, addWrite/delWrite).
  bool want_read = false;
  bool want_write = false;
  /// An async_wait is queued for that direction.
  bool read_queued = false;
  bool write_queued = false;
  std::shared_ptr<asio_events> self;
};

void arm(const std::shared_ptr<asio_events>& p, bool write) {
  bool& queued = write ? p->write_queued : p->read_queued;
  if (queued || p->ac == nullptr)
    return;
  queued = true;
  p->fd.async_wait(write ? asio::posix::stream_descriptor::wait_write
                         : asio::posix::stream_descriptor::wait_read,
                   [p, write](const asio::error_code& ec) {
                     (write ? p->write_queued : p->read_queued) = false;
                     // Aborted: cleanup released the fd (the context may be
                     // freed). Any other error: let hiredis find it.
                     if (ec == asio::error::operation_aborted
                         || p->ac == nullptr)
                       return;
                     if (!(write ? p->want_write : p->want_read))
                       return;
                     // May free the context (cleanup sets p->ac to null).
                     if (write)
                       redisAsyncHandleWrite(p->ac);
                     else
                       redisAsyncHandleRead(p->ac);
                     if (p->ac != nullptr
                         && (write ? p->want_write : p->want_read))
                       arm(p, write);
                   });
}

asio_events* events_of(void* privdata) {
  return static_cast<asio_events*>(privdata);
}

void add_read(void* privdata) {
  auto* p = events_of(privdata);
  p->want_read = true;
  arm(p->self, false);
}

void del_read(void* privdata) {
  events_of(privdata)->want_read = false;
}

void add_write(void* privdata) {
  auto* p = events_of(privdata);
  p->want_write = true;
  arm(p->self, true);
}

void del_write(void* privdata) {
  events_of(privdata)->want_write = false;
}

void cleanup(void* privdata) {
  auto* p = events_of(privdata);
  // hiredis calls no hook after this one; make sure of it.
  redisAsyncContext* ac = p->ac;
  if (ac != nullptr) {
    ac->ev.data = nullptr;
    ac->ev.addRead = nullptr;
    ac->ev.delRead = nullptr;
    ac->ev.addWrite = nullptr;
    ac->ev.delWrite = nullptr;
    ac->ev.cleanup = nullptr;
  }
  p->ac = nullptr;
  p->want_read = false;
  p->want_write = false;
  // Deregisters from the reactor and aborts queued waits; hiredis closes
  // the fd right after this hook returns.
  if (p->fd.is_open())
    p->fd.release();
  auto keep = std::move(p->self); // last owner unless a wait is queued
}

} // namespace

bool attach_asio(redisAsyncContext* ac, const asio::any_io_executor& ex) {
  if (ac == nullptr || ac->ev.data != nullptr || ac->c.fd < 0)
    return false;
  auto p = std::make_shared<asio_events>(ex);
  asio::error_code ec;
  p->fd.assign(ac->c.fd, ec);
  if (ec)
    return false;
  p->ac = ac;
  p->self = p;
  ac->ev.data = p.get();
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  return true;
}

} // namespace sio::cluster
