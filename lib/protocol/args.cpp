// sio::args (<sio/args.hpp>): event arguments as JSON elements written with
// RapidJSON's Writer, binary values as numbered placeholders.
#include <sio/args.hpp>

#include "lib/protocol/utf8.hpp"

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <iterator>

namespace sio {

namespace {

/// A RapidJSON output stream appending to a std::string.
struct string_out {
  using Ch = char;
  std::string& out;
  void Put(char c) { out.push_back(c); }
  void Flush() {}
};

using json_writer = rapidjson::Writer<string_out>;

constexpr std::string_view replacement_character = "\xEF\xBF\xBD"; // U+FFFD

/// `s` when it is valid UTF-8; otherwise `scratch` filled with `s` where
/// every maximal invalid subpart became U+FFFD (as a browser's TextDecoder
/// does).
std::string_view valid_utf8(std::string_view s, std::string& scratch) {
  if (protocol::is_valid_utf8(s))
    return s;
  scratch.clear();
  scratch.reserve(s.size() + 8);
  protocol::utf8_validator v;
  size_t start = 0; // first byte of the sequence being read
  for (size_t i = 0; i < s.size(); ++i) {
    if (!v.feed(s.substr(i, 1))) {
      scratch.append(replacement_character);
      v.reset();
      if (i > start)
        --i; // the byte that broke a sequence may begin the next one
      start = i + 1;
    } else if (v.complete()) {
      scratch.append(s.substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  if (!v.complete())
    scratch.append(replacement_character);
  return scratch;
}

/// Writes a RapidJSON value through a Writer, with non-finite numbers as
/// null and strings made valid UTF-8 (Value::Accept calls these).
class value_writer {
public:
  explicit value_writer(json_writer& w) : w_(w) {}

  bool Null() { return w_.Null(); }
  bool Bool(bool b) { return w_.Bool(b); }
  bool Int(int i) { return w_.Int(i); }
  bool Uint(unsigned u) { return w_.Uint(u); }
  bool Int64(int64_t i) { return w_.Int64(i); }
  bool Uint64(uint64_t u) { return w_.Uint64(u); }
  bool Double(double d) { return std::isfinite(d) ? w_.Double(d) : w_.Null(); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return w_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    auto text = valid_utf8({s, n}, scratch_);
    return w_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    auto text = valid_utf8({s, n}, scratch_);
    return w_.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  bool StartObject() { return w_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return w_.EndObject(n); }
  bool StartArray() { return w_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return w_.EndArray(n); }

private:
  json_writer& w_;
  std::string scratch_;
};

constexpr std::string_view placeholder_head = R"({"_placeholder":true,"num":)";

} // namespace

void args::add(std::string element) {
  if (!elements_.empty())
    elements_.push_back(',');
  elements_.append(element);
}

args& args::push(std::nullptr_t) {
  add("null");
  return *this;
}

args& args::push(bool v) {
  add(v ? "true" : "false");
  return *this;
}

args& args::push(double v) {
  if (!std::isfinite(v)) {
    add("null");
    return *this;
  }
  std::string text;
  string_out out{text};
  json_writer w{out};
  w.Double(v);
  add(std::move(text));
  return *this;
}

args& args::push(std::string_view v) {
  std::string scratch;
  auto valid = valid_utf8(v, scratch);
  std::string text;
  text.reserve(valid.size() + 2);
  string_out out{text};
  json_writer w{out};
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
  add(std::move(text));
  return *this;
}

args& args::push(const rapidjson::Value& v) {
  std::string text;
  string_out out{text};
  json_writer w{out};
  value_writer vw{w};
  v.Accept(vw);
  add(std::move(text));
  return *this;
}

args& args::push(raw_json v) {
  add(std::move(v.text));
  return *this;
}

args args::from_json_array(std::string json_array,
                           std::vector<std::string> attachments) {
  // "[a,b]" -> "a,b" in place: no copy of the elements.
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!json_array.empty() && is_space(json_array.back()))
    json_array.pop_back();
  if (!json_array.empty() && json_array.back() == ']')
    json_array.pop_back();
  size_t head = 0;
  while (head < json_array.size() && is_space(json_array[head]))
    ++head;
  if (head < json_array.size() && json_array[head] == '[')
    ++head;
  json_array.erase(0, head);
  while (!json_array.empty() && is_space(json_array.back()))
    json_array.pop_back();
  args out;
  out.elements_ = std::move(json_array);
  out.attachments_ = std::move(attachments);
  return out;
}

args& args::push(binary v) {
  if (!elements_.empty())
    elements_.push_back(',');
  elements_.append(placeholder_head);
  placeholders_.push_back(elements_.size());
  elements_.append(std::to_string(attachments_.size()));
  elements_.push_back('}');
  attachments_.push_back(std::move(v.bytes));
  return *this;
}

args& args::push_int(int64_t v) {
  add(std::to_string(v));
  return *this;
}

args& args::push_uint(uint64_t v) {
  add(std::to_string(v));
  return *this;
}

args& args::push_nested(args inner) {
  if (!elements_.empty())
    elements_.push_back(',');
  elements_.push_back('[');
  // Inner placeholder k (numbered from 0 in `inner`) follows this args'
  // attachments: its number becomes k + shift, so numbering stays global.
  size_t shift = attachments_.size();
  size_t copied = 0;
  for (size_t k = 0; k < inner.placeholders_.size(); ++k) {
    size_t pos = inner.placeholders_[k];
    elements_.append(inner.elements_, copied, pos - copied);
    placeholders_.push_back(elements_.size());
    elements_.append(std::to_string(k + shift));
    copied = inner.elements_.find('}', pos);
  }
  elements_.append(inner.elements_, copied, std::string::npos);
  elements_.push_back(']');
  attachments_.insert(attachments_.end(),
                      std::make_move_iterator(inner.attachments_.begin()),
                      std::make_move_iterator(inner.attachments_.end()));
  return *this;
}

std::string args::json() const {
  std::string out;
  out.reserve(elements_.size() + 2);
  out.push_back('[');
  out.append(elements_);
  out.push_back(']');
  return out;
}

} // namespace sio
