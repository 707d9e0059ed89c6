// lib/routing/view_set.hpp
// A set of string_views sized for group membership: most sets hold one or two
// views (a socket's own room, a connection's groups), a few hold thousands (a
// namespace). Up to two views live inline with no allocation; beyond that an
// open-addressing table with linear probing keeps insert/erase/count O(1) on
// average and iteration a scan over one contiguous array. Hand-written
// because std::unordered_set<string_view> measured ~60 bytes per member and
// a bucket array even for one member, and 3x slower iteration over a 10k
// group (bench/group_index_memory.cpp: 825 -> 283 heap bytes per connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string_view>

namespace sio::routing {

/// Unordered set of string_views; it stores the views, never the bytes, so the
/// caller keeps the viewed strings alive. Any insert or erase invalidates
/// iterators (the table is rebuilt or entries shift), so collect first when
/// the set may change while you iterate. Holds up to 2^31 views (a 32-bit
/// size keeps the object at 40 bytes).
class view_set {
public:
  // -- constants ---

  /// Views stored without allocation.
  static constexpr size_t inline_capacity = 2;

  /// Smallest table once the inline slots overflow.
  static constexpr size_t min_table_capacity = 8;

  // -- member types ---

  using value_type = std::string_view;
  using size_type = size_t;

  /// Forward iterator over the views; skips the empty slots of the table.
  class const_iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = const std::string_view&;

    const_iterator() noexcept = default;

    reference operator*() const noexcept {
      return *pos_;
    }

    pointer operator->() const noexcept {
      return pos_;
    }

    const_iterator& operator++() noexcept {
      ++pos_;
      skip_holes();
      return *this;
    }

    const_iterator operator++(int) noexcept {
      auto old = *this;
      ++*this;
      return old;
    }

    friend bool operator==(const const_iterator& x,
                           const const_iterator& y) noexcept {
      return x.pos_ == y.pos_;
    }

    friend bool operator!=(const const_iterator& x,
                           const const_iterator& y) noexcept {
      return x.pos_ != y.pos_;
    }

  private:
    friend class view_set;

    const_iterator(const std::string_view* pos,
                   const std::string_view* end) noexcept
      : pos_(pos), end_(end) {
      skip_holes();
    }

    void skip_holes() noexcept {
      while (pos_ != end_ && is_hole(*pos_))
        ++pos_;
    }

    const std::string_view* pos_ = nullptr;
    const std::string_view* end_ = nullptr;
  };

  using iterator = const_iterator;

  // -- constructors, destructors, and assignment operators ---

  view_set() noexcept = default;

  /// Inserts each view once (duplicates collapse, as in std::unordered_set).
  view_set(std::initializer_list<std::string_view> views);

  view_set(const view_set& other);

  view_set(view_set&& other) noexcept;

  view_set& operator=(const view_set& other);

  view_set& operator=(view_set&& other) noexcept;

  ~view_set();

  // -- properties ---

  /// Number of views.
  size_t size() const noexcept {
    return size_;
  }

  /// True if the set holds no view.
  bool empty() const noexcept {
    return size_ == 0;
  }

  /// Slots currently reserved: inline_capacity, or the table size.
  size_t capacity() const noexcept {
    return mask_ == 0 ? inline_capacity : size_t{mask_} + 1;
  }

  /// True while the views live in the inline slots (no allocation).
  bool is_inline() const noexcept {
    return mask_ == 0;
  }

  // -- iteration ---

  const_iterator begin() const noexcept {
    auto* first = slots();
    return {first, first + used_slots()};
  }

  const_iterator end() const noexcept {
    auto* last = slots() + used_slots();
    return {last, last};
  }

  // -- lookup ---

  /// 1 if the set holds a view equal to `view` (by content), else 0.
  size_t count(std::string_view view) const noexcept {
    return contains(view) ? 1 : 0;
  }

  /// True if the set holds a view equal to `view` (by content).
  bool contains(std::string_view view) const noexcept;

  // -- modifiers ---

  /// Adds `view` unless an equal one is present; returns true if added.
  bool insert(std::string_view view);

  /// Removes the view equal to `view`; returns how many were removed (0/1).
  /// Drops back to the inline slots once few enough views remain.
  size_t erase(std::string_view view) noexcept;

  /// Removes every view and frees the table.
  void clear() noexcept;

private:
  // -- implementation details ---

  /// The marker in an empty table slot: a view of this private byte can
  /// never be inserted, so even an empty view with a null data() is storable.
  static constexpr char hole_byte = 0;

  static bool is_hole(std::string_view v) noexcept {
    return v.data() == &hole_byte;
  }

  static std::string_view hole_view() noexcept {
    return {&hole_byte, 0};
  }

  const std::string_view* slots() const noexcept {
    return mask_ == 0 ? store_.local : store_.table;
  }

  /// Inline: the first size_ slots; table: every slot.
  size_t used_slots() const noexcept {
    return mask_ == 0 ? size_ : size_t{mask_} + 1;
  }

  /// First slot to probe for a view with hash `h`.
  size_t home(size_t h) const noexcept;

  /// Slot holding `view` in table mode, or the hole where it would go.
  size_t probe(std::string_view view) const noexcept;

  /// Moves every view into a new table of `capacity` (a power of two that
  /// keeps the load at most 3/4), or into the inline slots when capacity is 0
  /// (then size_ <= inline_capacity and nothing is allocated).
  void rebuild(size_t capacity);

  /// Moves every view into `fresh`, an array of `capacity` slots, and frees
  /// the old table.
  void adopt(std::string_view* fresh, size_t capacity) noexcept;

  /// Puts `view` (known absent) into the table without checking the load.
  void place(std::string_view view) noexcept;

  /// Inline slots or a pointer to the table; the mask tells which is live.
  union storage {
    storage() noexcept : table(nullptr) {
      // nop
    }
    std::string_view local[inline_capacity];
    std::string_view* table;
  };

  storage store_;
  /// Number of views.
  uint32_t size_ = 0;
  /// Table capacity - 1; 0 while the views are inline.
  uint32_t mask_ = 0;
};

} // namespace sio::routing
