#include "lib/auth/random_id.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>

namespace sio::auth {

namespace {

// 64 symbols: one random byte masked to 6 bits selects one without bias.
constexpr char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A block of CSPRNG output shared by all threads. Refilled when exhausted;
// consumed bytes are overwritten so they are never handed out twice.
class random_pool {
public:
  /// Writes `n` random bytes into `out`.
  void fill(unsigned char* out, size_t n) {
    std::lock_guard<std::mutex> guard{mtx_};
    while (n > 0) {
      if (pos_ == buf_.size())
        refill();
      size_t take = std::min(n, buf_.size() - pos_);
      for (size_t i = 0; i < take; ++i) {
        out[i] = buf_[pos_ + i];
        buf_[pos_ + i] = 0;
      }
      pos_ += take;
      out += take;
      n -= take;
    }
  }

private:
  void refill() {
    // A failing CSPRNG leaves no safe way to make ids; predictable session
    // ids would be worse than stopping the process.
    if (RAND_bytes(buf_.data(), static_cast<int>(buf_.size())) != 1)
      std::abort();
    pos_ = 0;
  }

  /// Guards buf_ and pos_.
  std::mutex mtx_;
  /// Random bytes not yet handed out start at pos_.
  std::array<unsigned char, 4096> buf_{};
  /// Index of the next unused byte; buf_.size() means empty.
  size_t pos_ = 4096;
};

random_pool& pool() {
  static random_pool instance;
  return instance;
}

} // namespace

std::string random_id(size_t length) {
  std::string out(length, '\0');
  if (length == 0)
    return out;
  pool().fill(reinterpret_cast<unsigned char*>(out.data()), length);
  for (auto& c : out)
    c = alphabet[static_cast<unsigned char>(c) & 63];
  return out;
}

} // namespace sio::auth
