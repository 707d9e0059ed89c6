#include "lib/routing/view_set.hpp"

#include <algorithm>
#include <functional>
#include <new>

namespace sio::routing {

namespace {

size_t hash_of(std::string_view v) noexcept {
  return std::hash<std::string_view>{}(v);
}

/// Smallest table that holds `n` views at a load of at most 1/2, so that a
/// table rebuilt on shrink has room to grow again before the next rebuild.
size_t roomy_capacity(size_t n) noexcept {
  size_t cap = view_set::min_table_capacity;
  while (cap < 2 * n)
    cap *= 2;
  return cap;
}

} // namespace

// -- constructors, destructors, and assignment operators ---

view_set::view_set(std::initializer_list<std::string_view> views) {
  for (auto v : views)
    insert(v);
}

view_set::view_set(const view_set& other)
  : size_(other.size_), mask_(other.mask_) {
  if (mask_ == 0) {
    // Element-wise through the member: this makes `local` the live member.
    for (size_t i = 0; i < size_; ++i)
      store_.local[i] = other.store_.local[i];
  } else {
    store_.table = new std::string_view[size_t{mask_} + 1];
    std::copy_n(other.store_.table, size_t{mask_} + 1, store_.table);
  }
}

view_set::view_set(view_set&& other) noexcept
  : store_(other.store_), size_(other.size_), mask_(other.mask_) {
  other.store_.table = nullptr;
  other.size_ = 0;
  other.mask_ = 0;
}

view_set& view_set::operator=(const view_set& other) {
  if (this != &other) {
    view_set tmp{other};
    *this = std::move(tmp);
  }
  return *this;
}

view_set& view_set::operator=(view_set&& other) noexcept {
  if (this != &other) {
    clear();
    store_ = other.store_;
    size_ = other.size_;
    mask_ = other.mask_;
    other.store_.table = nullptr;
    other.size_ = 0;
    other.mask_ = 0;
  }
  return *this;
}

view_set::~view_set() {
  if (mask_ != 0)
    delete[] store_.table;
}

// -- lookup ---

bool view_set::contains(std::string_view view) const noexcept {
  if (mask_ == 0)
    return std::find(store_.local, store_.local + size_, view)
           != store_.local + size_;
  return !is_hole(store_.table[probe(view)]);
}

// -- modifiers ---

bool view_set::insert(std::string_view view) {
  if (mask_ == 0) {
    if (std::find(store_.local, store_.local + size_, view)
        != store_.local + size_)
      return false;
    if (size_ < inline_capacity) {
      store_.local[size_++] = view;
      return true;
    }
    rebuild(min_table_capacity);
  } else {
    if (!is_hole(store_.table[probe(view)]))
      return false;
    // Grow before the load passes 3/4: linear probing slows down sharply
    // beyond that, and a hole must always remain to end every probe.
    size_t cap = size_t{mask_} + 1;
    if ((size_t{size_} + 1) * 4 > cap * 3)
      rebuild(cap * 2);
  }
  place(view);
  ++size_;
  return true;
}

size_t view_set::erase(std::string_view view) noexcept {
  if (mask_ == 0) {
    auto* last = store_.local + size_;
    auto* i = std::find(store_.local, last, view);
    if (i == last)
      return 0;
    std::copy(i + 1, last, i);
    --size_;
    return 1;
  }
  auto* t = store_.table;
  size_t hole = probe(view);
  if (is_hole(t[hole]))
    return 0;
  // Backward-shift deletion: pull later entries of the probe run into the
  // gap when the gap lies between their home slot and where they sit, so no
  // tombstones accumulate and lookups stay short.
  for (size_t j = (hole + 1) & mask_; !is_hole(t[j]); j = (j + 1) & mask_) {
    size_t from_home = (j - home(hash_of(t[j]))) & mask_;
    size_t from_hole = (j - hole) & mask_;
    if (from_home >= from_hole) {
      t[hole] = t[j];
      hole = j;
    }
  }
  t[hole] = hole_view();
  --size_;
  size_t cap = size_t{mask_} + 1;
  if (size_ <= inline_capacity) {
    rebuild(0); // never allocates
  } else if (cap > min_table_capacity && size_t{size_} * 8 <= cap) {
    // Shrinking is an optimisation: when memory is short keep the table.
    size_t smaller = roomy_capacity(size_);
    if (auto* fresh = new (std::nothrow) std::string_view[smaller])
      adopt(fresh, smaller);
  }
  return 1;
}

void view_set::clear() noexcept {
  if (mask_ != 0)
    delete[] store_.table;
  store_.table = nullptr;
  size_ = 0;
  mask_ = 0;
}

// -- implementation details ---

size_t view_set::home(size_t h) const noexcept {
  // Fibonacci mixing, so that hashes differing only in high bits still
  // spread over a small table.
  uint64_t m = uint64_t{h} * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>((m ^ (m >> 32)) & mask_);
}

size_t view_set::probe(std::string_view view) const noexcept {
  auto* t = store_.table;
  size_t i = home(hash_of(view));
  while (!is_hole(t[i]) && t[i] != view)
    i = (i + 1) & mask_;
  return i;
}

void view_set::rebuild(size_t capacity) {
  if (capacity == 0) {
    // Table -> inline; the caller guarantees size_ <= inline_capacity.
    std::string_view keep[inline_capacity];
    size_t n = 0;
    for (size_t i = 0; i <= mask_; ++i)
      if (!is_hole(store_.table[i]))
        keep[n++] = store_.table[i];
    delete[] store_.table;
    mask_ = 0;
    for (size_t i = 0; i < n; ++i)
      store_.local[i] = keep[i];
    return;
  }
  adopt(new std::string_view[capacity], capacity);
}

void view_set::adopt(std::string_view* fresh, size_t capacity) noexcept {
  std::fill_n(fresh, capacity, hole_view());
  // Copy out first: in inline mode the views share storage with the pointer
  // about to be written.
  std::string_view keep[inline_capacity];
  const std::string_view* old = nullptr;
  size_t old_slots = 0;
  if (mask_ == 0) {
    std::copy_n(store_.local, size_, keep);
    old = keep;
    old_slots = size_;
  } else {
    old = store_.table;
    old_slots = size_t{mask_} + 1;
  }
  bool old_table = mask_ != 0;
  store_.table = fresh;
  mask_ = static_cast<uint32_t>(capacity - 1);
  for (size_t i = 0; i < old_slots; ++i)
    if (!is_hole(old[i]))
      place(old[i]);
  if (old_table)
    delete[] old;
}

void view_set::place(std::string_view view) noexcept {
  auto* t = store_.table;
  size_t i = home(hash_of(view));
  while (!is_hole(t[i]))
    i = (i + 1) & mask_;
  t[i] = view;
}

} // namespace sio::routing
