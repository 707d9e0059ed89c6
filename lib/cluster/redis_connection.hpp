// lib/cluster/redis_connection.hpp
// One logical connection to Redis that stays up by itself: it connects,
// authenticates, selects the database and names itself (CLIENT SETNAME),
// reconnects with backoff when it fails or is lost, and re-subscribes a
// subscriber's channels and patterns after every reconnect. The cluster uses
// two per node (cluster.md "Per-node state"): one for commands and PUBLISH
// (one connection keeps a node's messages in order) and one subscriber.
// hiredis 0.14 does the protocol; hiredis_asio.hpp puts it on Asio.
#pragma once

#include "lib/cluster/redis_url.hpp"
#include <sio/result.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext; // <hiredis/async.h>

namespace sio::cluster {

/// A Redis reply (RESP2), copied out of hiredis.
struct redis_reply {
  enum class kind { nil, integer, string, status, error, array };
  kind type = kind::nil;
  /// kind::integer.
  long long integer = 0;
  /// kind::string, kind::status, kind::error (binary safe).
  std::string str;
  /// kind::array.
  std::vector<redis_reply> elements;
};

/// Counters of one connection (a snapshot).
struct redis_stats {
  /// Times the connection came up (connected, AUTH, SELECT, subscribed).
  uint64_t connects = 0;
  /// Connect attempts after a failed attempt or a lost connection.
  uint64_t reconnects = 0;
  /// Failed connect attempts, lost connections, command timeouts.
  uint64_t errors = 0;
  /// Commands whose handler got fail(...) (not sent, lost, timed out).
  uint64_t commands_failed = 0;
  /// Commands handed to Redis.
  uint64_t commands_sent = 0;
  /// Pub/sub messages handed to the message handler.
  uint64_t messages = 0;
};

/// Timeouts and limits of a connection.
struct redis_options {
  /// From the start of an attempt until "up" (TCP, AUTH, SELECT, SETNAME,
  /// PING and, for a subscriber, the confirmations of its subscriptions).
  std::chrono::milliseconds connect_timeout{5000};
  /// A command unanswered this long fails, and so does the connection
  /// (replies come in order: Redis stopped answering); it reconnects.
  std::chrono::milliseconds command_timeout{5000};
  /// Wait before reconnecting, doubled after each failed attempt up to
  /// backoff_max, back to backoff_initial once up.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Commands sent and not yet answered; beyond, command() fails at once.
  size_t max_pending = 10000;
};

/// A self-healing Redis connection on an io_context.
///
/// Threads: every public method may be called from any thread; it posts to
/// a strand of the io_context. Handlers run on a thread that runs the
/// io_context, inside that strand (one at a time, never concurrently with
/// each other), so the io_context may be run by one thread or several.
/// Handlers must not throw (exceptions are caught and dropped: they cannot
/// cross hiredis's C frames).
///
/// Lifetime: call stop() before dropping the last reference; the
/// connection keeps itself alive while it waits to reconnect or for a
/// command's deadline. The io_context must outlive it.
class redis_connection : public std::enable_shared_from_this<redis_connection> {
public:
  /// The outcome of one command: the reply (a Redis error reply is a
  /// reply, kind::error) or fail(reason) when it was not sent (not
  /// connected, too many pending, stopped) or no reply came (connection
  /// lost, timeout, stop()).
  using reply_handler = std::function<void(sio::protocol::result<redis_reply>)>;
  /// A pub/sub message; `pattern` is empty for a SUBSCRIBE channel. Binary
  /// safe; the views are valid during the call only.
  using message_handler = std::function<void(std::string_view channel,
                                              std::string_view pattern,
                                              std::string_view payload)>;
  /// Changes of up(), with the reason when down. Also called while down
  /// when an attempt fails for a reason other than the last one reported.
  using state_handler = std::function<void(bool up, const std::string& reason)>;
  /// Redis confirmed a subscription (also after every reconnect).
  using subscribed_handler
    = std::function<void(std::string_view name, bool pattern)>;

  /// A stopped connection; `name` goes to CLIENT SETNAME (characters Redis
  /// refuses become '-') and into the reasons.
  static std::shared_ptr<redis_connection> create(asio::io_context& io,
                                                  redis_endpoint ep,
                                                  std::string name,
                                                  redis_options opts = {});

  ~redis_connection();

  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  /// Set before start().
  void on_state(state_handler h);

  /// Set before start(): makes this a subscriber connection, which takes
  /// (p)subscribe calls and no command().
  void on_message(message_handler h);

  /// Set before start() (subscriber connections only).
  void on_subscribed(subscribed_handler h);

  /// Connects, then keeps connected until stop(). Once only.
  void start();

  /// Closes; no reconnect. Pending reply handlers get fail("stopped"), the
  /// state handler (false, "stopped") if it was up; then every handler set
  /// by on_*() is released.
  void stop();

  /// Sends argv (binary safe). Fails at once while not up, on a subscriber
  /// connection, beyond max_pending, and for commands that would change the
  /// connection's mode ((S|P)SUBSCRIBE and their UN-, MONITOR, HELLO, CLIENT
  /// REPLY, RESET): use subscribe().
  void command(std::vector<std::string> argv, reply_handler h);

  /// Adds to / removes from the subscription set of a subscriber connection
  /// (ignored on others). The set is sent whenever the connection comes up.
  void subscribe(std::string channel);
  void unsubscribe(std::string channel);
  void psubscribe(std::string pattern);
  void punsubscribe(std::string pattern);

  /// Connected, handshake done, subscriptions confirmed.
  bool up() const;

  /// Why it is down (empty while up or before the first attempt).
  std::string last_error() const;

  redis_stats stats() const;

  /// "name (host:port/db)", for logs.
  const std::string& description() const {
    return description_;
  }

private:
  struct session;
  using clock = std::chrono::steady_clock;

  redis_connection(asio::io_context& io, redis_endpoint ep, std::string name,
                   redis_options opts);

  // -- on the strand ---------------------------------------------------------

  void connect();
  void send_handshake(const std::shared_ptr<session>& s);
  void handshake_done(session* s);
  void go_up(session* s);
  void send_subscriptions(session* s, bool pattern,
                          const std::vector<std::string>& names, bool subscribe);
  bool send(session* s, const std::vector<std::string>& argv, reply_handler h,
            clock::time_point deadline, bool user);
  void close_session(std::shared_ptr<session> s, std::string reason);
  void session_ended(session* s, const std::string& reason);
  void schedule_reconnect();
  void arm_deadline();
  void on_deadline();
  void set_state(bool up, const std::string& reason);
  void do_command(std::vector<std::string> argv, reply_handler h);
  void do_stop();
  void fail(const reply_handler& h, std::string reason);

  // -- hiredis callbacks (C) --------------------------------------------------

  static void on_connect_cb(const ::redisAsyncContext* ac, int status);
  static void on_disconnect_cb(const ::redisAsyncContext* ac, int status);
  static void on_reply_cb(::redisAsyncContext* ac, void* reply,
                          void* privdata);
  static void on_sub_reply_cb(::redisAsyncContext* ac, void* reply,
                              void* privdata);

  // -- state (strand only unless atomic) -------------------------------------

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer retry_timer_;
  redis_endpoint ep_;
  std::string name_;
  std::string client_name_;
  std::string description_;
  redis_options opts_;

  state_handler on_state_;
  message_handler on_message_;
  subscribed_handler on_subscribed_;
  bool subscriber_ = false;

  bool started_ = false;
  bool stopped_ = false;
  /// The hiredis context of the current attempt or connection, if any.
  std::shared_ptr<session> session_;
  std::chrono::milliseconds backoff_;
  bool deadline_armed_ = false;
  uint64_t deadline_gen_ = 0;

  std::set<std::string, std::less<>> channels_;
  std::set<std::string, std::less<>> patterns_;

  bool reported_ = false;
  bool reported_up_ = false;
  std::string reported_reason_;

  std::atomic<bool> up_{false};
  mutable std::mutex error_mutex_;
  std::string last_error_;

  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> commands_failed_{0};
  std::atomic<uint64_t> commands_sent_{0};
  std::atomic<uint64_t> messages_{0};
};

} // namespace sio::cluster
