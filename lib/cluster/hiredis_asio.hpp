// lib/cluster/hiredis_asio.hpp
// hiredis's async API drives no I/O itself: it asks an event loop, through
// the hooks in redisAsyncContext::ev, to tell it when its socket is readable
// or writable. This is that event loop on Asio, shaped like the adapters
// hiredis ships (adapters/libuv.h): an async_wait per direction on the
// context's fd, re-armed while hiredis wants the direction (level-triggered,
// as uv_poll is).
#pragma once

#include <hiredis/async.h>

#include <asio/any_io_executor.hpp>

namespace sio::cluster {

/// Attaches `ac` to `ex`: every hiredis read/write callback then runs as an
/// Asio handler on `ex` (give a strand to serialise them with your own
/// handlers). Call before redisAsyncSetConnectCallback (which asks for the
/// first write event). The fd stays hiredis's: it is watched, never closed;
/// hiredis's cleanup hook (redisAsyncFree, or a lost connection) detaches,
/// also from inside a hiredis callback, and a wait still queued then finds
/// the context gone and does nothing. Every call into `ac` (commands, free)
/// must happen on `ex`. False (and `ac` untouched) when `ac` already has an
/// event loop or its fd cannot be watched.
bool attach_asio(redisAsyncContext* ac, const asio::any_io_executor& ex);

} // namespace sio::cluster
