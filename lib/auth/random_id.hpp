// lib/auth/random_id.hpp
// URL-safe random identifiers ([A-Za-z0-9_-]) from the OpenSSL CSPRNG, used
// for connection ids (Engine.IO sid), socket ids and CloudEvents ids.
#pragma once

#include <cstddef>
#include <string>

namespace sio::auth {

/// `length` characters drawn uniformly from the 64 URL-safe characters.
/// Thread-safe; random bytes are fetched in blocks so that thousands of ids
/// per second cost one RAND_bytes call per block, not per id.
std::string random_id(size_t length);

} // namespace sio::auth
