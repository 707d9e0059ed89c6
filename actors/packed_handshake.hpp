// actors/packed_handshake.hpp
// A session keeps its handshake's query, headers and claims for the connect
// event of every namespace it joins. As three multimaps that is ~600 bytes
// in ~20 allocations per connection; packed into one string it is the bytes
// themselves, unpacked only when a CONNECT arrives.
#pragma once

#include "actors/messages.hpp"

#include <string>
#include <string_view>

namespace sio {

/// The handshake's query, headers and claims in one string.
std::string pack_handshake(const handshake_info& info);

/// Fills `ev.query`, `ev.headers` and `ev.claims` from pack_handshake's
/// output; returns false (and leaves them empty) on malformed input.
bool unpack_handshake(std::string_view packed, connect_event& ev);

} // namespace sio
