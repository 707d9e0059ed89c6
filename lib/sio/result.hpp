// sio/result.hpp (lib/sio/result.hpp)
// result<T>: either a value or a human-readable error reason. Used by every
// parser and codec in lib/ so that bad network input never throws; the caller
// logs error() and answers with a protocol error instead.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace sio::protocol {

/// Holds either a T or the reason why there is none (never both, never neither).
template <class T>
class result {
public:
  /// A successful result holding `v`.
  static result ok(T v) {
    result r;
    r.value_.emplace(std::move(v));
    return r;
  }

  /// A failed result; an empty reason is replaced so that error() is never empty.
  static result fail(std::string reason) {
    result r;
    r.error_
      = reason.empty() ? std::string{"unspecified error"} : std::move(reason);
    return r;
  }

  /// True when a value is present.
  explicit operator bool() const noexcept {
    return value_.has_value();
  }

  /// True when a value is present.
  bool has_value() const noexcept {
    return value_.has_value();
  }

  /// The value; only valid when operator bool() is true.
  T& operator*() {
    assert(value_);
    return *value_;
  }

  /// The value; only valid when operator bool() is true.
  const T& operator*() const {
    assert(value_);
    return *value_;
  }

  /// Member access to the value; only valid when operator bool() is true.
  T* operator->() {
    assert(value_);
    return &*value_;
  }

  /// Member access to the value; only valid when operator bool() is true.
  const T* operator->() const {
    assert(value_);
    return &*value_;
  }

  /// The reason of a failed result; empty when a value is present.
  const std::string& error() const noexcept {
    return error_;
  }

private:
  result() = default;

  /// The value, when successful.
  std::optional<T> value_;

  /// The failure reason, when not successful.
  std::string error_;
};

} // namespace sio::protocol
