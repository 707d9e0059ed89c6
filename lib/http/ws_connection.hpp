// lib/http/ws_connection.hpp
// One server-side WebSocket connection (RFC 6455) on an already upgraded
// stream (plain TCP or TLS, lib/http/stream.hpp): reads and validates client frames with hard limits checked
// before allocation, answers pings, runs the close handshake, and sends shared
// payloads through a bounded, batched write queue. All work runs on the
// connection's event loop (one thread runs it: see stream::executor_type),
// except that send() on plain TCP writes directly when nothing is queued.
#pragma once

#include "lib/http/spin_lock.hpp"
#include "lib/http/stream.hpp"
#include "lib/protocol/utf8.hpp"
#include "lib/http/ws_frame.hpp"

#include <asio.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sio::http {

/// Per-connection limits.
struct ws_limits {
  /// Whole message incl. fragments; over -> close 1009 before allocating.
  size_t max_message_size = 1000000;
  /// Queued outbound bytes; over -> close 1008 "write queue full".
  size_t max_write_queue_bytes = 8 << 20;
  /// Frames per message (fragment storm guard) -> 1009.
  size_t max_fragments = 1024;
  /// How long to wait for the peer's close frame (or for our close frame to
  /// leave) before dropping the TCP connection.
  std::chrono::milliseconds close_timeout{5000};
};

/// A WebSocket connection; create with make(), then start().
class ws_connection : public std::enable_shared_from_this<ws_connection> {
 public:
  // -- member types -----------------------------------------------------------

  /// Upper-layer hooks; both run on the connection's loop.
  struct callbacks {
    /// One complete message (fragments reassembled); text is valid UTF-8.
    std::function<void(std::string&& data, bool binary)> on_message;
    /// Exactly once, after the socket is closed; 1006 if no close handshake.
    std::function<void(uint16_t code, std::string reason)> on_closed;
  };

  // -- construction -----------------------------------------------------------

  /// Takes ownership of an upgraded stream (101 already sent).
  static std::shared_ptr<ws_connection> make(stream sock, ws_limits limits);
  /// Same, on a plain TCP socket.
  static std::shared_ptr<ws_connection> make(asio::ip::tcp::socket sock, ws_limits limits);

  ws_connection(const ws_connection&) = delete;
  ws_connection& operator=(const ws_connection&) = delete;
  ~ws_connection();

  // -- API (all thread-safe) ----------------------------------------------------

  /// Starts reading. `initial_bytes` = bytes already read past the HTTP
  /// request head (may be empty); they are parsed before the socket is read.
  void start(callbacks cbs, std::string initial_bytes = {});

  /// How send() may write.
  enum class write_policy : uint8_t {
    /// On plain TCP with nothing queued or in flight, written at once on
    /// the caller's thread (one sendmsg, no hand-off to the I/O thread):
    /// for replies to one client.
    immediate,
    /// Always queued; the I/O thread writes everything queued in one gather
    /// write: for fan-out, where one caller sends to thousands of
    /// connections in bursts and each would otherwise cost a system call
    /// per message on the caller's thread.
    batched,
  };

  /// Sends one unfragmented message; the payload is shared, never copied (the
  /// header goes out of a small buffer, the payload by a gather write).
  /// Frames leave in call order per calling thread. Over
  /// max_write_queue_bytes closes with 1008; ignored once close() was called.
  void send(std::shared_ptr<const std::string> payload, bool binary,
            write_policy policy = write_policy::immediate);

  /// Sends a close frame after the frames already queued, then shuts down;
  /// on_closed reports `code` (a code that may not be sent goes out as 1000).
  void close(uint16_t code, std::string reason);

  /// Replaces the callbacks (e.g. when a probe becomes the session's transport).
  void set_callbacks(callbacks cbs);

  /// Outbound bytes queued or being written (approximate: read off the loop).
  size_t queued_bytes() const noexcept { return queued_bytes_.load(std::memory_order_relaxed); }

  /// Writes issued so far: direct sendmsg calls and gather writes (metrics;
  /// tests check batching).
  uint64_t write_calls() const noexcept { return write_calls_.load(std::memory_order_relaxed); }

  /// Readiness waits started so far (plain TCP): an idle connection waits for
  /// readability before each read, a busy one reads into a buffer of its own
  /// without one (tests check the switch).
  uint32_t readiness_waits() const noexcept {
    return readiness_waits_.load(std::memory_order_relaxed);
  }

 private:
  // -- member types -----------------------------------------------------------

  /// Lets make() use make_shared while the constructor stays private.
  struct private_tag {};

  /// One outbound frame: a small inline header plus a shared payload.
  struct out_frame {
    /// Encoded header; empty for the rest of a frame a direct write cut short.
    ws_header_bytes header;
    /// Payload (may be null for an empty frame).
    std::shared_ptr<const std::string> payload;

    /// Bytes on the wire: header and payload.
    size_t wire_size() const noexcept {
      return header.size + (payload ? payload->size() : 0);
    }
  };

  /// Connection lifecycle.
  enum class phase : uint8_t {
    /// make() done, start() not yet run.
    created,
    /// Frames flow both ways.
    open,
    /// A close frame was queued (by us or as an echo); waiting for the rest.
    closing,
    /// Socket closed, on_closed delivered; handlers only release resources.
    closed,
  };

  /// What the reader does with incoming bytes.
  /// What only a connection that sees a control frame or closes needs:
  /// allocated on first use, so an idle connection holds none of it (every
  /// idle connection's bytes count; BENCHMARKS.md).
  struct control_state {
    std::string frame;  ///< a control frame's payload, unmasked
    std::string close_reason;
    std::unique_ptr<asio::steady_timer> close_timer;
  };

  enum class read_mode : uint8_t {
    /// Parse frames.
    parse,
    /// After a protocol failure: read and drop until EOF so the peer gets
    /// our close frame (closing with unread data would send an RST).
    discard,
    /// Peer's close frame arrived: nothing more to read.
    stop,
  };

 public:
  /// Use make().
  ws_connection(private_tag, stream sock, ws_limits limits);

 private:
  // -- reading ----------------------------------------------------------------

  /// Issues the next read unless one is pending or reading is over.
  void do_read();
  /// Plain TCP: the socket is readable; reads it into the thread's buffer.
  void on_readable(const asio::error_code& ec);
  /// Notes a completed read and switches between a readiness wait and a
  /// buffer of our own (see busy_read_buffer_size); true if rbuf_ is to be
  /// freed once the bytes just read are consumed.
  bool track_read_pace();
  /// Gives the connection its own read buffer (rbuf_) if it has none: the
  /// size the transport reads with (TLS or busy plain TCP).
  void own_read_buffer();
  /// rbuf_'s size.
  size_t own_read_buffer_size() const;
  /// Read completion (on the loop); `direct` reads went into msg_ at
  /// `at`, others are the `n` bytes at `data`.
  void on_read(const asio::error_code& ec, size_t n, size_t at, bool direct,
               char* data);
  void advance_mask_phase(size_t consumed) noexcept {
    mask_phase_ = static_cast<uint8_t>((mask_phase_ + consumed) & 3u);
  }
  /// Runs the frame state machine over bytes that came from the socket buffer.
  void process(char* data, size_t size);
  /// Consumes payload bytes of the current frame from a read buffer.
  void consume_payload(char* data, size_t size);
  /// Unmasks and checks data payload bytes already placed in msg_ at `at`.
  void payload_stored(size_t at, size_t size);
  /// A complete header was parsed.
  void on_header();
  /// The current frame's payload is complete.
  void on_frame_end();
  /// Handles the peer's close frame payload.
  void on_peer_close(std::string_view payload);

  // -- writing ----------------------------------------------------------------

  /// Adds a frame to the queue (on the loop: pongs); enforces the queue
  /// limit and starts a write if none is scheduled.
  void enqueue(ws_opcode op, std::shared_ptr<const std::string> payload);
  /// A gather write of everything queued; only the holder of the write
  /// side (see claim_write) calls it, on the loop.
  void do_write();
  /// With write_lock_ held: takes the write side if frames wait and no
  /// write is scheduled or in flight; the caller then runs do_write().
  bool claim_write() noexcept;
  /// Queues `frame` (write_lock_ held) and claims the write: true if the
  /// caller must run do_write() once it has unlocked.
  bool push_frame(out_frame frame);
  /// With write_lock_ held: room for `bytes` more in the write queue.
  bool fits_queue(size_t bytes) const noexcept;
  /// With write_lock_ held, nothing queued or in flight: one non-blocking
  /// sendmsg of the frame. Bytes written (0 if it would block), or
  /// write_failed.
  size_t write_now(const out_frame& frame);
  static constexpr size_t write_failed = static_cast<size_t>(-1);
  /// Write completion (on the loop).
  void on_write(const asio::error_code& ec);

  // -- closing ----------------------------------------------------------------

  /// Queues our close frame once and arms the close timer. `fail` drops
  /// frames that have not started to leave and stops parsing input.
  void begin_close(uint16_t code, std::string_view reason, bool fail);
  control_state& control();
  /// The control frame's payload read so far (empty if none); resets it.
  std::string take_control_frame();
  /// Closes the socket and delivers on_closed (once).
  void finish();

  // -- member variables -------------------------------------------------------

  /// Payloads larger than this are read straight into msg_; smaller ones
  /// (headers, control frames, small messages) go through a read buffer.
  static constexpr size_t read_buffer_size = 256;
  /// Plain TCP reads of a quiet connection wait for readability and then read
  /// into one buffer per thread, so that an idle connection holds no read
  /// buffer at all (10k idle clients: 2.5 MB less). TLS must own its buffer
  /// (the read is pending inside the TLS stream).
  static constexpr size_t shared_read_buffer_size = 16384;
  /// A busy plain TCP connection (reads at most busy_read_gap apart) reads
  /// into a buffer of its own instead: a pending read needs no re-arm, a
  /// readiness wait costs an epoll_ctl each time (~7 % more acks/s in the
  /// echo benchmark). It goes back to waiting, and frees the buffer, on the
  /// first read after a gap of more than quiet_read_gap, at the latest the
  /// next pong; so only connections busy within a ping interval hold one.
  static constexpr size_t busy_read_buffer_size = 1024;
  static constexpr uint32_t busy_read_gap_ms = 100;
  static constexpr uint32_t quiet_read_gap_ms = 1000;

  /// Completion handler of the readiness wait (see ws_connection.cpp).
  struct readable_handler;

  /// What a gather write in flight holds: its frames, kept alive until it
  /// completes, and their buffers. Only connections that queue writes make
  /// one (fan-out, backlogs); direct writes and idle connections need none,
  /// so the two vectors are not part of every connection.
  struct gather_write {
    std::vector<out_frame> frames;
    std::vector<asio::const_buffer> buffers;
  };

  /// The upgraded stream.
  stream socket_;
  /// The socket's own executor, its event loop: one thread runs it, so it
  /// serialises all handlers without a strand or bound handlers.
  stream::executor_type loop() noexcept { return socket_.get_executor(); }
  /// Limits.
  size_t max_write_queue_bytes_;
  std::chrono::milliseconds close_timeout_;
  /// Upper-layer hooks; cleared when on_closed fires (breaks owner cycles).
  callbacks cbs_;
  /// Frame header parser (holds the message size/fragment rules).
  ws_frame_parser parser_;
  /// UTF-8 state of the text message being assembled.
  protocol::utf8_validator utf8_;
  /// Lifecycle.
  phase phase_ = phase::created;
  /// Reader mode.
  read_mode read_mode_ = read_mode::parse;
  /// A read is pending.
  bool reading_ = false;
  /// A do_write is scheduled or a write is in flight (write_lock_).
  bool writing_ = false;
  /// Plain TCP: send() may write on the caller's thread (not through TLS,
  /// whose stream state belongs to the I/O thread).
  bool direct_writes_ = false;
  /// close() was called or the queue overflowed: send() takes no more
  /// (write_lock_).
  bool close_requested_ = false;
  /// Inside a frame's payload (header done, payload_left_ may be 0).
  bool in_payload_ = false;
  /// Our close frame is queued (nothing may follow it).
  bool close_queued_ = false;
  /// Our close frame has been written.
  bool close_sent_ = false;
  /// The peer's close frame arrived.
  bool close_received_ = false;
  /// Payload bytes of the current frame consumed so far, modulo 4: where in
  /// the masking key the next byte starts.
  uint8_t mask_phase_ = 0;
  /// Code reported through on_closed.
  uint16_t close_code_ = ws_close_code::abnormal;
  /// Guards the write side shared with send() on other threads: queue_,
  /// writing_, close_requested_, and the writes (never the loop's own
  /// reads) of phase_ and close_queued_.
  spin_lock write_lock_;
  /// Payload bytes of the current frame not yet consumed.
  uint64_t payload_left_ = 0;
  /// When the last read completed (coarse monotonic ms, wraps; plain TCP).
  uint32_t last_read_ms_ = 0;
  /// See readiness_waits().
  std::atomic<uint32_t> readiness_waits_{0};
  /// The message being assembled (grown as bytes arrive, moved out on delivery).
  std::string msg_;
  /// Payload of the control frame being read (at most 125 bytes).
  /// Frames waiting for the next write.
  std::vector<out_frame> queue_;
  /// The gather write in flight; made by its first queued write and dropped
  /// when the connection goes idle (see gather_write).
  std::unique_ptr<gather_write> gather_;
  /// Close handshake timer; created only when closing.
  std::unique_ptr<control_state> control_;
  /// Queued plus in-flight outbound bytes.
  std::atomic<size_t> queued_bytes_{0};
  /// Gather writes issued.
  std::atomic<uint64_t> write_calls_{0};
  /// The pending read's own buffer: always under TLS (read_buffer_size),
  /// on plain TCP only while the connection is busy (busy_read_buffer_size).
  std::unique_ptr<char[]> rbuf_;
};

} // namespace sio::http
