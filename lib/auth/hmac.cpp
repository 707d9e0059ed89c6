#include "lib/auth/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace sio::auth {

namespace {

/// HMAC contexts keyed once. OpenSSL's one-shot HMAC() looks the digest up
/// and derives the key's inner and outer pads on every call (2.7 us here, 8 %
/// of the webhook path's CPU: every event is signed); a context keyed once and
/// re-initialised with the same key costs 0.4 us. The service uses one or two
/// keys, so each thread keeps the few it used last.
class keyed_contexts {
public:
  keyed_contexts() = default;
  keyed_contexts(const keyed_contexts&) = delete;
  keyed_contexts& operator=(const keyed_contexts&) = delete;
  ~keyed_contexts() {
    for (auto& e : entries_)
      forget(e);
    EVP_MAC_free(mac_);
  }

  /// A context ready for EVP_MAC_init(ctx, nullptr, ...) with `key`, or
  /// nullptr if OpenSSL cannot make one (the caller falls back to HMAC()).
  EVP_MAC_CTX* get(std::string_view key) {
    for (size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].key == key) {
        // Most recently used last: eviction takes the front.
        std::rotate(entries_.begin() + static_cast<std::ptrdiff_t>(i),
                    entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                    entries_.end());
        return entries_.back().ctx;
      }
    if (mac_ == nullptr)
      mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac_ == nullptr)
      return nullptr;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac_);
    if (ctx == nullptr)
      return nullptr;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), params)
        != 1) {
      EVP_MAC_CTX_free(ctx);
      return nullptr;
    }
    if (entries_.size() == capacity) {
      forget(entries_.front());
      entries_.erase(entries_.begin());
    }
    entries_.push_back({std::string{key}, ctx});
    return ctx;
  }

private:
  struct entry {
    std::string key;
    EVP_MAC_CTX* ctx;
  };
  static constexpr size_t capacity = 4;

  static void forget(entry& e) {
    EVP_MAC_CTX_free(e.ctx);
    OPENSSL_cleanse(e.key.data(), e.key.size());
  }

  EVP_MAC* mac_ = nullptr;
  std::vector<entry> entries_;  ///< least recently used first
};

thread_local keyed_contexts contexts;

std::string one_shot_hmac_sha256(std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const unsigned char empty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&empty)
                                    : static_cast<const void*>(key.data());
  auto* msg_ptr = reinterpret_cast<const unsigned char*>(msg.data());
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           msg.empty() ? &empty : msg_ptr, msg.size(), out, &len)
      == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

} // namespace

std::string hmac_sha256(std::string_view key, std::string_view msg) {
  // An empty key takes the one-shot path (rare; OpenSSL wants a pointer).
  EVP_MAC_CTX* ctx = key.empty() ? nullptr : contexts.get(key);
  if (ctx == nullptr)
    return one_shot_hmac_sha256(key, msg);
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1
      || EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(msg.data()),
                        msg.size())
           != 1
      || EVP_MAC_final(ctx, out, &len, sizeof(out)) != 1)
    return one_shot_hmac_sha256(key, msg);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  size_t i = 0;
  for (unsigned char c : bytes) {
    out[i++] = digits[c >> 4];
    out[i++] = digits[c & 0x0f];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  if (a.empty())
    return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace sio::auth
