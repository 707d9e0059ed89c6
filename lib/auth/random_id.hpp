// lib/auth/random_id.hpp
// URL-safe random identifiers ([A-Za-z0-9_-]) from the OpenSSL CSPRNG, used
// for connection ids (Engine.IO sid), socket ids and CloudEvents ids.
#pragma once

#include <cstddef>
#include <string>

namespace sio::auth {

/// Length of connection (Engine.IO sid) and socket ids: 90 random bits
/// (OWASP asks at least 64 of a session id), and within std::string's
/// inline capacity, so the copies of a sid (session, hub, registry, socket
/// refs) and of a socket id allocate nothing (BENCHMARKS.md, memory).
inline constexpr size_t connection_id_length = 15;

/// `length` characters drawn uniformly from the 64 URL-safe characters.
/// Thread-safe; random bytes are fetched in blocks so that thousands of ids
/// per second cost one RAND_bytes call per block, not per id.
std::string random_id(size_t length);

} // namespace sio::auth
