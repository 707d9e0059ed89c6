#include "lib/protocol/json_scan.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

namespace sio::protocol::detail {

namespace {

// SAX handler: tracks an explicit stack of open containers instead of
// recursing, so its memory is bounded by max_depth.
class scanner {
public:
  scanner(const rapidjson::MemoryStream& is, const json_scan_options& opts)
      : is_(is), opts_(opts) {
    // nop
  }

  // -- RapidJSON handler interface ------------------------------------------

  bool Null() {
    return scalar(json_kind::null);
  }

  bool Bool(bool b) {
    return scalar(json_kind::boolean, b);
  }

  bool Int(int i) {
    return i >= 0 ? number(static_cast<uint64_t>(i))
                  : scalar(json_kind::number);
  }

  bool Uint(unsigned u) {
    return number(u);
  }

  bool Int64(int64_t i) {
    return i >= 0 ? number(static_cast<uint64_t>(i))
                  : scalar(json_kind::number);
  }

  bool Uint64(uint64_t u) {
    return number(u);
  }

  bool Double(double d) {
    // JSON.parse("1.0") is the number 1, a valid placeholder index.
    auto count = static_cast<double>(opts_.attachment_count);
    bool ok = d >= 0 && d < count && std::floor(d) == d;
    return scalar(json_kind::number, false, ok);
  }

  bool RawNumber(const char*, rapidjson::SizeType, bool) {
    // Only called with kParseNumbersAsStringsFlag, which we never pass.
    return scalar(json_kind::number);
  }

  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (is_root_array_element() && summary_.root_elements == 0)
      summary_.first_string.assign(str, len);
    return scalar(json_kind::string);
  }

  bool StartObject() {
    return open(true);
  }

  bool Key(const char* str, rapidjson::SizeType len, bool) {
    auto key = std::string_view{str, len};
    auto& top = stack_.back();
    if (key == "_placeholder")
      top.pending = key_role::placeholder;
    else if (key == "num")
      top.pending = key_role::num;
    else
      top.pending = key_role::other;
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    return close();
  }

  bool StartArray() {
    return open(false);
  }

  bool EndArray(rapidjson::SizeType) {
    return close();
  }

  // -- results --------------------------------------------------------------

  json_summary& summary() {
    return summary_;
  }

  const std::string& error() const {
    return error_;
  }

private:
  enum class key_role : uint8_t { other, placeholder, num };

  struct frame {
    /// Object (true) or array (false).
    bool object = false;
    /// Which key the next value belongs to (objects only).
    key_role pending = key_role::other;
    /// "_placeholder" was true (last occurrence wins, as in JSON.parse).
    bool placeholder = false;
    /// "num" was an integer within the attachment count.
    bool num_ok = false;
  };

  /// Open containers, innermost last. The first levels live inline (every
  /// real message): a scan runs several times per client event, and a
  /// heap stack per scan showed in the echo profile.
  class frame_stack {
  public:
    bool empty() const noexcept { return size_ == 0; }
    size_t size() const noexcept { return size_; }
    const frame& front() const noexcept { return inline_[0]; }
    frame& back() noexcept {
      return size_ <= inline_.size() ? inline_[size_ - 1] : deep_.back();
    }
    void push_back(frame f) {
      if (size_ < inline_.size())
        inline_[size_] = f;
      else
        deep_.push_back(f);
      ++size_;
    }
    void pop_back() noexcept {
      if (size_ > inline_.size())
        deep_.pop_back();
      --size_;
    }

  private:
    std::array<frame, 32> inline_{};
    std::vector<frame> deep_;  ///< levels past the inline ones
    size_t size_ = 0;
  };

  bool is_root_array_element() const {
    return stack_.size() == 1 && !stack_.front().object;
  }

  // Records a value (scalar or container start) in its parent.
  void value(json_kind kind, bool truth = false, bool index_ok = false) {
    if (stack_.empty()) {
      summary_.root = kind;
      return;
    }
    auto& top = stack_.back();
    if (top.object) {
      if (top.pending == key_role::placeholder)
        top.placeholder = kind == json_kind::boolean && truth;
      else if (top.pending == key_role::num)
        top.num_ok = kind == json_kind::number && index_ok;
      top.pending = key_role::other;
    } else if (stack_.size() == 1) {
      if (summary_.root_elements == 0)
        summary_.first_kind = kind;
      ++summary_.root_elements;
    }
  }

  // Called when a value directly inside the root array is complete;
  // `pending` counts bytes of it not yet taken from the stream.
  void element_done(size_t pending = 0) {
    if (is_root_array_element() && summary_.root_elements == 1
        && summary_.first_end == 0)
      summary_.first_end = is_.Tell() + pending;
  }

  bool scalar(json_kind kind, bool truth = false, bool index_ok = false) {
    value(kind, truth, index_ok);
    element_done();
    return true;
  }

  bool number(uint64_t n) {
    return scalar(json_kind::number, false, n < opts_.attachment_count);
  }

  bool open(bool object) {
    value(object ? json_kind::object : json_kind::array);
    if (stack_.size() >= opts_.max_depth) {
      error_ = "JSON nesting deeper than " + std::to_string(opts_.max_depth)
               + " levels";
      return false;
    }
    frame f;
    f.object = object;
    stack_.push_back(f);
    return true;
  }

  bool close() {
    auto top = stack_.back();
    stack_.pop_back();
    if (opts_.check_placeholders && top.object && top.placeholder
        && !top.num_ok) {
      error_ = "binary placeholder with a missing or out-of-range \"num\" ("
               + std::to_string(opts_.attachment_count) + " attachments)";
      return false;
    }
    // RapidJSON calls EndObject/EndArray before it takes the closing bracket.
    element_done(1);
    return true;
  }

  /// The input, read for offsets only.
  const rapidjson::MemoryStream& is_;
  /// What to check.
  const json_scan_options& opts_;
  /// Open containers, innermost last.
  frame_stack stack_;
  /// Collected facts.
  json_summary summary_;
  /// Why the handler stopped the parse.
  std::string error_;
};

} // namespace

std::string_view to_string(json_kind kind) {
  switch (kind) {
    case json_kind::null:
      return "null";
    case json_kind::boolean:
      return "boolean";
    case json_kind::number:
      return "number";
    case json_kind::string:
      return "string";
    case json_kind::array:
      return "array";
    case json_kind::object:
      return "object";
  }
  return "unknown";
}

result<json_summary> scan_json(
  std::string_view text, const json_scan_options& opts) {
  using result_type = result<json_summary>;
  // RapidJSON treats '\0' as end of input, which would silently accept
  // "[1]\0garbage"; JSON text can never contain a raw NUL anyway.
  if (!text.empty() && std::memchr(text.data(), '\0', text.size()) != nullptr)
    return result_type::fail("invalid JSON: raw NUL byte");
  rapidjson::MemoryStream is{text.data(), text.size()};
  scanner handler{is, opts};
  // The reader's state stack starts in a buffer on this stack frame instead
  // of the heap (deeper input spills into pool chunks; depth is bounded).
  using stack_allocator = rapidjson::MemoryPoolAllocator<>;
  alignas(std::max_align_t) char stack_buffer[1024];
  stack_allocator stack_alloc{stack_buffer, sizeof stack_buffer};
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, stack_allocator>
    reader{&stack_alloc, 256};
  constexpr unsigned flags
    = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  auto res = reader.Parse<flags>(is, handler);
  if (res.IsError()) {
    if (!handler.error().empty())
      return result_type::fail(handler.error());
    return result_type::fail(std::string{"invalid JSON: "}
                             + rapidjson::GetParseError_En(res.Code())
                             + " at offset " + std::to_string(res.Offset()));
  }
  return result_type::ok(std::move(handler.summary()));
}

} // namespace sio::protocol::detail
