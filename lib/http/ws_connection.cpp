#include "lib/http/ws_connection.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <typeinfo>
#include <utility>

namespace sio::http {

namespace {

/// Vectors above this capacity are released once drained, so a burst does not
/// pin memory on an otherwise idle connection.
constexpr size_t keep_capacity = 64;

/// First growth step of a large message read straight into its buffer; later
/// steps double, so memory follows the bytes that actually arrived.
constexpr size_t min_direct_chunk = 64 * 1024;

/// Allocates an operation with plain operator new, sized to fit. Asio's
/// default recycles a per-thread block of whatever size was freed last, so
/// an idle connection's readiness wait, pending for hours, sat in a block
/// cut for a larger operation (168 instead of 112 bytes per idle WebSocket,
/// heaptrack + jemalloc stats); the allocator is cheap enough for one wait
/// per read.
template <class T>
struct exact_allocator {
  using value_type = T;

  exact_allocator() noexcept = default;

  template <class U>
  exact_allocator(const exact_allocator<U>&) noexcept {
    // nop
  }

  T* allocate(size_t n) {
    return std::allocator<T>{}.allocate(n);
  }

  void deallocate(T* p, size_t n) noexcept {
    std::allocator<T>{}.deallocate(p, n);
  }

  template <class U>
  bool operator==(const exact_allocator<U>&) const noexcept {
    return true;
  }

  template <class U>
  bool operator!=(const exact_allocator<U>&) const noexcept {
    return false;
  }
};

/// Milliseconds of a monotonic clock, as cheap as it gets: read once per
/// read, and a few milliseconds of resolution are plenty for read pacing.
uint32_t coarse_now_ms() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint32_t>(static_cast<uint64_t>(ts.tv_sec) * 1000u
                               + static_cast<uint64_t>(ts.tv_nsec) / 1000000u);
#else
  auto since = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint32_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
#endif
}

template <class T>
void clear_and_trim(std::vector<T>& v) {
  v.clear();
  if (v.capacity() > keep_capacity)
    std::vector<T>().swap(v);
}

} // namespace

/// Completion of the readiness wait; a class rather than a lambda so that
/// it can name its allocator without growing the operation (allocator
/// binders add 32 bytes: 104 -> 136).
struct ws_connection::readable_handler {
  using allocator_type = exact_allocator<void>;

  std::shared_ptr<ws_connection> self;

  allocator_type get_allocator() const noexcept {
    return {};
  }

  void operator()(const asio::error_code& ec) const {
    self->on_readable(ec);
  }
};

// -- construction -------------------------------------------------------------

#if defined(__GLIBCXX__) && defined(__x86_64__)
// make_shared puts a 16-byte control block in front: within 368 bytes the
// pair fits jemalloc's 384-byte class (448 otherwise), for every open
// WebSocket. Rare state belongs in control_state, write state in gather_.
static_assert(sizeof(ws_connection) <= 368, "ws_connection grew past 368 bytes");
#endif

std::shared_ptr<ws_connection> ws_connection::make(stream sock, ws_limits limits) {
  return std::make_shared<ws_connection>(private_tag{}, std::move(sock), limits);
}

std::shared_ptr<ws_connection> ws_connection::make(asio::ip::tcp::socket sock,
                                                   ws_limits limits) {
  // Move the descriptor onto a socket of stream's type on the same
  // io_context (see stream::executor_type: one thread must run it).
  auto ex = sock.get_executor();
  // This Asio's any_executor::target<T>() does not check T: compare first.
  if (ex.target_type() != typeid(asio::io_context::executor_type))
    throw std::invalid_argument{"ws_connection: the socket's executor is not an io_context's"};
  auto& io = ex.target<asio::io_context::executor_type>()->context();
  auto protocol = sock.local_endpoint().protocol();
  stream::tcp_socket own{io.get_executor(), protocol, sock.release()};
  return make(stream{std::move(own)}, limits);
}

ws_connection::ws_connection(private_tag, stream sock, ws_limits limits)
  : socket_(std::move(sock)),
    max_write_queue_bytes_(limits.max_write_queue_bytes),
    close_timeout_(limits.close_timeout),
    parser_(ws_parser_limits{limits.max_message_size, limits.max_fragments, true}),
    direct_writes_(!socket_.is_tls()) {
  // nop
}

ws_connection::~ws_connection() {
  asio::error_code ignored;
  socket_.lowest_layer().close(ignored);
}

// -- API ----------------------------------------------------------------------

void ws_connection::start(callbacks cbs, std::string initial_bytes) {
  asio::post(loop(), [self = shared_from_this(), cbs = std::move(cbs),
                       initial = std::move(initial_bytes)]() mutable {
    if (self->phase_ != phase::created)
      return;
    {
      std::lock_guard<spin_lock> guard{self->write_lock_};
      self->phase_ = phase::open;
    }
    self->cbs_ = std::move(cbs);
    asio::error_code ignored;
    // Realtime traffic: small frames must not wait for Nagle; batching is ours.
    self->socket_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    // Plain reads go through on_readable's read_some, which must not block.
    if (!self->socket_.is_tls())
      self->socket_.lowest_layer().non_blocking(true, ignored);
    if (!initial.empty())
      self->process(initial.data(), initial.size());
    self->do_read();
    bool write = false;
    {
      std::lock_guard<spin_lock> guard{self->write_lock_};
      write = self->claim_write();
    }
    if (write)
      self->do_write();
  });
}

void ws_connection::send(std::shared_ptr<const std::string> payload, bool binary,
                         write_policy policy) {
  auto op = binary ? ws_opcode::binary : ws_opcode::text;
  size_t size = payload ? payload->size() : 0;
  out_frame frame{encode_ws_frame_header(op, size), std::move(payload)};
  size_t bytes = frame.wire_size();
  std::unique_lock<spin_lock> guard{write_lock_};
  if (phase_ == phase::closed || close_queued_ || close_requested_)
    return;
  if (!fits_queue(bytes)) {
    close_requested_ = true;
    guard.unlock();
    asio::post(loop(), [self = shared_from_this()] {
      self->begin_close(ws_close_code::policy_violation, "write queue full", true);
    });
    return;
  }
  if (policy == write_policy::immediate && direct_writes_ && phase_ == phase::open
      && !writing_ && queue_.empty()) {
    // Nothing queued or in flight: write on the caller's thread, sparing
    // the hand-off to the I/O thread (a post and a wake-up per message; the
    // echo profile's largest cost). The lock keeps per-connection order
    // and keeps finish() from closing the descriptor under this call.
    write_calls_.fetch_add(1, std::memory_order_relaxed);
    auto sent = write_now(frame);
    if (sent == bytes)
      return;
    if (sent > 0 && sent != write_failed) {
      // The socket buffer filled up mid-frame: the rest goes out through
      // the I/O thread, first in line (rare: a reader that falls behind).
      auto whole = frame.header.view();
      auto rest = std::make_shared<std::string>();
      rest->reserve(bytes - sent);
      if (sent < whole.size())
        rest->append(whole.substr(sent));
      if (size > 0) {
        size_t from = sent > whole.size() ? sent - whole.size() : 0;
        rest->append(*frame.payload, from, std::string::npos);
      }
      frame = out_frame{ws_header_bytes{}, std::move(rest)};
    }
    // would-block or an error: the frame takes the queued path, whose
    // asynchronous write waits for room or reports the error.
  }
  if (!push_frame(std::move(frame)))
    return;
  guard.unlock();
  asio::post(loop(), [self = shared_from_this()] { self->do_write(); });
}

void ws_connection::close(uint16_t code, std::string reason) {
  {
    // Whatever the caller sends after this stays unsent, as if queued
    // behind the close frame.
    std::lock_guard<spin_lock> guard{write_lock_};
    close_requested_ = true;
  }
  asio::post(loop(), [self = shared_from_this(), code, reason = std::move(reason)] {
    if (self->phase_ == phase::created) {
      // Never started: there is no peer conversation to finish politely.
      self->close_code_ = code;
      self->finish();
      return;
    }
    self->begin_close(code, reason, false);
  });
}

void ws_connection::set_callbacks(callbacks cbs) {
  asio::post(loop(), [self = shared_from_this(), cbs = std::move(cbs)]() mutable {
    if (self->phase_ != phase::closed)
      self->cbs_ = std::move(cbs);
  });
}

// -- reading ------------------------------------------------------------------

void ws_connection::do_read() {
  if (reading_ || phase_ == phase::created || phase_ == phase::closed
      || read_mode_ == read_mode::stop)
    return;
  reading_ = true;
  bool data_frame = in_payload_ && !is_control(parser_.header().opcode);
  if (read_mode_ == read_mode::parse && data_frame && phase_ == phase::open
      && payload_left_ > read_buffer_size) {
    // Large payload: read straight into the message, growing it with the bytes
    // that arrive rather than with what the header announced. payload_left_ is
    // at most max_message_size here (the parser checked), so it fits size_t.
    size_t at = msg_.size();
    size_t grow = static_cast<size_t>(
      std::min<uint64_t>(payload_left_, std::max(min_direct_chunk, at)));
    msg_.resize(at + grow);
    socket_.async_read_some(
      asio::buffer(&msg_[at], grow),
      [self = shared_from_this(), at](const asio::error_code& ec, size_t n) {
        self->on_read(ec, n, at, true, nullptr);
      });
    return;
  }
  if (!socket_.is_tls() && !rbuf_) {
    readiness_waits_.fetch_add(1, std::memory_order_relaxed);
    socket_.lowest_layer().async_wait(
      asio::socket_base::wait_read,
      readable_handler{shared_from_this()});
    return;
  }
  own_read_buffer();
  socket_.async_read_some(
    asio::buffer(rbuf_.get(), own_read_buffer_size()),
    [self = shared_from_this()](const asio::error_code& ec, size_t n) {
      self->on_read(ec, n, 0, false, self->rbuf_.get());
    });
}

bool ws_connection::track_read_pace() {
  if (socket_.is_tls())
    return false;
  uint32_t now = coarse_now_ms();
  uint32_t gap = now - last_read_ms_; // unsigned: correct across the wrap
  last_read_ms_ = now;
  if (!rbuf_ && gap <= busy_read_gap_ms) {
    // The bytes just read are in the thread's buffer: the new one is free.
    own_read_buffer();
    return false;
  }
  // The bytes just read may be in rbuf_: the caller frees it after them.
  return rbuf_ && gap > quiet_read_gap_ms;
}

size_t ws_connection::own_read_buffer_size() const {
  return socket_.is_tls() ? read_buffer_size : busy_read_buffer_size;
}

void ws_connection::own_read_buffer() {
  if (!rbuf_)
    rbuf_ = std::make_unique<char[]>(own_read_buffer_size());
}

void ws_connection::on_readable(const asio::error_code& ec) {
  if (ec) {
    on_read(ec, 0, 0, false, nullptr);
    return;
  }
  // Handlers never nest (each completes before the next runs on this
  // thread), so one buffer per thread serves every connection.
  thread_local std::array<char, shared_read_buffer_size> buf;
  asio::error_code rec;
  // The socket is in non-blocking mode (start()): a spurious wake-up reads
  // would_block instead of stalling the I/O thread.
  size_t n = socket_.lowest_layer().read_some(asio::buffer(buf), rec);
  if (rec == asio::error::would_block || rec == asio::error::try_again) {
    reading_ = false;
    do_read();
    return;
  }
  on_read(rec, n, 0, false, buf.data());
}

void ws_connection::on_read(const asio::error_code& ec, size_t n, size_t at, bool direct,
                            char* data) {
  reading_ = false;
  if (direct)
    msg_.resize(at + (ec ? 0 : n));
  if (phase_ == phase::closed) {
    msg_ = std::string();
    return;
  }
  if (ec) {
    if (close_queued_ && !close_sent_) {
      // The peer is done sending, but our close frame is still on its way
      // out; on_write (or the close timer) finishes.
      read_mode_ = read_mode::stop;
      return;
    }
    finish();
    return;
  }
  bool quiet = track_read_pace();
  if (read_mode_ == read_mode::parse) {
    if (direct) {
      payload_stored(at, n);
      if (in_payload_ && payload_left_ == 0 && read_mode_ == read_mode::parse)
        on_frame_end();
    } else {
      process(data, n);
    }
  } else if (direct) {
    msg_.resize(at);
  }
  if (read_mode_ != read_mode::parse)
    msg_ = std::string();
  if (quiet)
    rbuf_.reset();
  do_read();
}

void ws_connection::process(char* data, size_t size) {
  size_t pos = 0;
  while (pos < size && read_mode_ == read_mode::parse && phase_ != phase::closed) {
    if (!in_payload_) {
      auto r = parser_.parse_header(std::string_view{data + pos, size - pos});
      pos += r.consumed;
      if (r.status == ws_parse_status::invalid) {
        begin_close(r.close_code, r.reason, true);
        return;
      }
      if (r.status == ws_parse_status::need_more)
        return;
      on_header();
    } else {
      auto n = static_cast<size_t>(std::min<uint64_t>(payload_left_, size - pos));
      consume_payload(data + pos, n);
      pos += n;
    }
    if (in_payload_ && payload_left_ == 0 && read_mode_ == read_mode::parse)
      on_frame_end();
  }
}

void ws_connection::on_header() {
  const auto& h = parser_.header();
  in_payload_ = true;
  payload_left_ = h.payload_size;
  mask_phase_ = 0;
  if (h.opcode == ws_opcode::text || h.opcode == ws_opcode::binary)
    utf8_.reset();
}

void ws_connection::consume_payload(char* data, size_t size) {
  const auto& h = parser_.header();
  if (is_control(h.opcode)) {
    auto& frame = control().frame;
    size_t at = frame.size();
    frame.append(data, size);
    ws_apply_mask(&frame[at], size, h.mask, mask_phase_);
    payload_left_ -= size;
    advance_mask_phase(size);
    return;
  }
  if (phase_ != phase::open) {
    // Closing: data frames are only skipped to find the peer's close frame.
    payload_left_ -= size;
    advance_mask_phase(size);
    return;
  }
  size_t at = msg_.size();
  msg_.append(data, size);
  payload_stored(at, size);
}

void ws_connection::payload_stored(size_t at, size_t size) {
  payload_left_ -= size;
  if (phase_ != phase::open) {
    msg_.resize(at);
    advance_mask_phase(size);
  } else {
    ws_apply_mask(&msg_[at], size, parser_.header().mask, mask_phase_);
    advance_mask_phase(size);
    if (parser_.message_opcode() == ws_opcode::text
        && !utf8_.feed(std::string_view{msg_.data() + at, size})) {
      begin_close(ws_close_code::invalid_payload, "invalid UTF-8 in text message", true);
      return;
    }
  }
}

void ws_connection::on_frame_end() {
  in_payload_ = false;
  const auto& h = parser_.header();
  switch (h.opcode) {
    case ws_opcode::close: {
      std::string payload = take_control_frame();
      on_peer_close(payload);
      return;
    }
    case ws_opcode::ping: {
      // Queued like any frame, so a ping flood from a peer that does not read
      // hits the write-queue limit instead of growing memory.
      auto pong = std::make_shared<const std::string>(take_control_frame());
      if (phase_ == phase::open)
        enqueue(ws_opcode::pong, std::move(pong));
      return;
    }
    case ws_opcode::pong:
      take_control_frame();
      return;
    default:
      break;
  }
  if (!parser_.ends_message())
    return;
  if (phase_ != phase::open) {
    msg_ = std::string();
    return;
  }
  bool binary = parser_.message_opcode() == ws_opcode::binary;
  if (!binary && !utf8_.complete()) {
    begin_close(ws_close_code::invalid_payload, "invalid UTF-8 in text message", true);
    return;
  }
  std::string message = std::move(msg_);
  msg_ = std::string();
  if (cbs_.on_message)
    cbs_.on_message(std::move(message), binary);
}

void ws_connection::on_peer_close(std::string_view payload) {
  close_received_ = true;
  read_mode_ = read_mode::stop;
  auto info = parse_ws_close_payload(payload);
  if (!info) {
    begin_close(ws_close_code::protocol_error, "invalid close frame", true);
    return;
  }
  if (close_queued_) {
    // This is the answer to our close frame.
    if (close_sent_)
      finish();
    return;
  }
  // Echo the status code (an empty close stays empty), then drop the connection.
  begin_close(info->code, {}, false);
  close_code_ = info->code;
  control().close_reason = std::move(info->reason);
}

// -- writing ------------------------------------------------------------------

bool ws_connection::fits_queue(size_t bytes) const noexcept {
  size_t queued = queued_bytes_.load(std::memory_order_relaxed);
  return bytes <= max_write_queue_bytes_ && queued <= max_write_queue_bytes_ - bytes;
}

bool ws_connection::claim_write() noexcept {
  if (writing_ || queue_.empty())
    return false;
  writing_ = true;
  return true;
}

bool ws_connection::push_frame(out_frame frame) {
  queued_bytes_.fetch_add(frame.wire_size(), std::memory_order_relaxed);
  queue_.push_back(std::move(frame));
  return claim_write();
}

size_t ws_connection::write_now(const out_frame& frame) {
  std::array<iovec, 2> iov{};
  iov[0].iov_base = const_cast<char*>(frame.header.data.data());
  iov[0].iov_len = frame.header.size;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = 1;
  if (frame.payload && !frame.payload->empty()) {
    iov[1].iov_base = const_cast<char*>(frame.payload->data());
    iov[1].iov_len = frame.payload->size();
    msg.msg_iovlen = 2;
  }
  auto fd = socket_.lowest_layer().native_handle();
  for (;;) {
    auto n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0)
      return static_cast<size_t>(n);
    if (errno == EINTR)
      continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : write_failed;
  }
}

void ws_connection::enqueue(ws_opcode op, std::shared_ptr<const std::string> payload) {
  size_t size = payload ? payload->size() : 0;
  out_frame frame{encode_ws_frame_header(op, size), std::move(payload)};
  std::unique_lock<spin_lock> guard{write_lock_};
  if (phase_ == phase::closed || close_queued_)
    return;
  if (!fits_queue(frame.wire_size())) {
    guard.unlock();
    begin_close(ws_close_code::policy_violation, "write queue full", true);
    return;
  }
  if (!push_frame(std::move(frame)))
    return;
  guard.unlock();
  do_write();
}

void ws_connection::do_write() {
  // Only the loop writes through gather_ (one write in flight at a time).
  if (!gather_)
    gather_ = std::make_unique<gather_write>();
  auto& g = *gather_;
  {
    std::lock_guard<spin_lock> guard{write_lock_};
    if (queue_.empty() || phase_ == phase::closed) {
      writing_ = false;
      return;
    }
    // Everything queued so far leaves in one gather write.
    g.frames.swap(queue_);
  }
  g.buffers.clear();
  g.buffers.reserve(g.frames.size() * 2);
  for (const auto& f : g.frames) {
    if (f.header.size > 0)
      g.buffers.emplace_back(f.header.data.data(), f.header.size);
    if (f.payload && !f.payload->empty())
      g.buffers.emplace_back(f.payload->data(), f.payload->size());
  }
  write_calls_.fetch_add(1, std::memory_order_relaxed);
  socket_.async_write(g.buffers, [self = shared_from_this()](const asio::error_code& ec, size_t) {
    self->on_write(ec);
  });
}

void ws_connection::on_write(const asio::error_code& ec) {
  size_t written = 0;
  for (const auto& f : gather_->frames)
    written += f.wire_size();
  clear_and_trim(gather_->frames);
  clear_and_trim(gather_->buffers);
  std::unique_lock<spin_lock> guard{write_lock_};
  if (phase_ == phase::closed) {
    writing_ = false;
    return;
  }
  queued_bytes_.fetch_sub(written, std::memory_order_relaxed);
  if (ec) {
    writing_ = false;
    guard.unlock();
    finish();
    return;
  }
  if (close_queued_ && !close_sent_ && queue_.empty()) {
    // Our close frame was the last frame of this write.
    writing_ = false;
    guard.unlock();
    close_sent_ = true;
    if (close_received_ || read_mode_ == read_mode::stop) {
      finish();
      return;
    }
    // Half-close: the peer sees our close frame, then EOF. Keep reading for its
    // close frame or EOF; the close timer bounds the wait.
    socket_.shutdown_send();
    do_read();
    return;
  }
  if (queue_.empty()) {
    // Going idle: an idle connection keeps no write vectors (three small
    // arrays, ~200 bytes per connection at 10k idle clients) nor the gather
    // state. Writes that find nothing queued go out directly and need none.
    writing_ = false;
    std::vector<out_frame>().swap(queue_);
    guard.unlock();
    gather_.reset();
    return;
  }
  guard.unlock();
  do_write();
}

// -- closing ------------------------------------------------------------------

ws_connection::control_state& ws_connection::control() {
  if (!control_)
    control_ = std::make_unique<control_state>();
  return *control_;
}

std::string ws_connection::take_control_frame() {
  if (!control_)
    return {};
  return std::exchange(control_->frame, std::string{});
}

void ws_connection::begin_close(uint16_t code, std::string_view reason, bool fail) {
  if (phase_ == phase::closed)
    return;
  if (fail) {
    if (read_mode_ == read_mode::parse)
      read_mode_ = read_mode::discard;
    take_control_frame();
    if (!reading_)
      msg_ = std::string();
  }
  std::unique_lock<spin_lock> guard{write_lock_};
  if (close_queued_)
    return;
  if (fail) {
    // Frames that have not started to leave are dropped: the peer gets the
    // close frame sooner and a slow consumer's backlog is freed now. The
    // rest of a frame a direct write cut short (the only kind of queued
    // frame without a header) stays: dropping it would corrupt the stream.
    size_t keep = !queue_.empty() && queue_.front().header.size == 0 ? 1 : 0;
    size_t dropped = 0;
    for (size_t i = keep; i < queue_.size(); ++i)
      dropped += queue_[i].wire_size();
    if (keep == 0)
      clear_and_trim(queue_);
    else
      queue_.resize(keep);
    queued_bytes_.fetch_sub(dropped, std::memory_order_relaxed);
  }
  if (code != ws_close_code::no_status && !is_valid_close_code(code))
    code = ws_close_code::normal;
  close_queued_ = true;
  phase_ = phase::closing;
  close_code_ = code;
  auto& ctl = control();
  ctl.close_reason.assign(reason);
  auto payload = std::make_shared<const std::string>(
    code == ws_close_code::no_status ? std::string() : make_ws_close_payload(code, reason));
  out_frame frame{encode_ws_frame_header(ws_opcode::close, payload->size()), payload};
  // The close frame bypasses the queue limit: it is tiny and must get out.
  bool write = push_frame(std::move(frame));
  guard.unlock();
  ctl.close_timer = std::make_unique<asio::steady_timer>(loop(), close_timeout_);
  ctl.close_timer->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec)
      self->finish();
  });
  if (write)
    do_write();
}

void ws_connection::finish() {
  if (phase_ == phase::closed)
    return;
  {
    // Under the lock: a direct write on another thread is never inside its
    // system call when the descriptor closes (and its number is reused).
    std::lock_guard<spin_lock> guard{write_lock_};
    phase_ = phase::closed;
    socket_.close();
    clear_and_trim(queue_);
    queue_.shrink_to_fit();
  }
  read_mode_ = read_mode::stop;
  if (control_ && control_->close_timer)
    control_->close_timer->cancel();
  // A pending read may still target msg_, and a pending write gather_:
  // their handlers release those.
  take_control_frame();
  if (!reading_)
    msg_ = std::string();
  queued_bytes_.store(0, std::memory_order_relaxed);
  auto on_closed = std::move(cbs_.on_closed);
  // Dropping the callbacks breaks owner <-> connection reference cycles.
  cbs_ = callbacks{};
  if (on_closed)
    on_closed(close_code_,
              control_ ? std::move(control_->close_reason) : std::string{});
}

} // namespace sio::http
