// bench/group_index_memory.cpp
// Heap cost of routing::group_index in the shape of the idle-clients
// benchmark: N connections, each in the namespace group "0~Lw~" and in its
// own one-member room group. Prints heap bytes per connection (glibc
// mallinfo2 delta, so malloc size classes included) and the speed of join,
// fan-out iteration over the namespace and leave/join churn on it.
// Usage: sio-bench-group-index [connections=10000]
#include "lib/routing/group_index.hpp"

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace sio::routing;

namespace {

/// A random URL-safe id like auth::random_id, without pulling in OpenSSL.
std::string random_id(std::mt19937_64& rng, size_t length) {
  static const char alphabet[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < length; ++i)
    out += alphabet[rng() % 64];
  return out;
}

double ns_between(std::chrono::steady_clock::time_point a,
                  std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

} // namespace

int main(int argc, char** argv) {
  long parsed = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 10000;
  if (parsed < 1 || parsed > 10000000) {
    std::fprintf(stderr, "usage: %s [connections, 1..10000000]\n", argv[0]);
    return 2;
  }
  auto n = static_cast<size_t>(parsed);
  std::mt19937_64 rng{42};
  // Shapes of the real ids: 22-character connection ids, room groups
  // "0~Lw~" + b64url(20-character socket id).
  std::vector<std::string> conns;
  std::vector<std::string> rooms;
  for (size_t i = 0; i < n; ++i) {
    conns.push_back(random_id(rng, 22));
    rooms.push_back("0~Lw~" + random_id(rng, 27));
  }
  using clock = std::chrono::steady_clock;
  auto heap_before = mallinfo2().uordblks;
  auto* idx = new group_index;
  auto t0 = clock::now();
  for (size_t i = 0; i < n; ++i) {
    idx->join(conns[i], "0~Lw~");
    idx->join(conns[i], rooms[i]);
  }
  auto t1 = clock::now();
  auto heap_after = mallinfo2().uordblks;
  const int passes = 200;
  size_t checksum = 0;
  auto t2 = clock::now();
  for (int k = 0; k < passes; ++k)
    for (auto id : *idx->members("0~Lw~"))
      checksum += id.size();
  auto t3 = clock::now();
  const int churns = 10;
  for (int k = 0; k < churns; ++k)
    for (size_t i = 0; i < n; ++i) {
      idx->leave(conns[i], "0~Lw~");
      idx->join(conns[i], "0~Lw~");
    }
  auto t4 = clock::now();
  std::printf("connections: %zu\n", n);
  std::printf("heap bytes per connection: %.1f\n",
              static_cast<double>(heap_after - heap_before) / n);
  std::printf("join: %.0f ns\n", ns_between(t0, t1) / (2.0 * n));
  std::printf("iterate namespace: %.2f ns per member\n",
              ns_between(t2, t3) / (double(passes) * n));
  std::printf("leave+join namespace: %.0f ns per pair\n",
              ns_between(t3, t4) / (double(churns) * n));
  delete idx;
  return checksum == size_t(passes) * 22 * n ? 0 : 1;
}
