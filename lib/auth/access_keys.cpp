#include "lib/auth/access_keys.hpp"

#include "lib/auth/hmac.hpp"
#include "lib/protocol/base64.hpp"

#include <openssl/rand.h>

namespace sio::auth {

std::string generate_access_key() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return {};
  return protocol::base64_encode(
    std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string ce_signature(const access_keys& keys,
                         std::string_view connection_id) {
  std::string out;
  for (const std::string* key : {&keys.primary, &keys.secondary}) {
    if (key->empty())
      continue;
    if (!out.empty())
      out.push_back(',');
    out += "sha256=";
    out += to_hex(hmac_sha256(*key, connection_id));
  }
  return out;
}

} // namespace sio::auth
