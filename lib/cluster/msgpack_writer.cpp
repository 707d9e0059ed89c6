// lib/cluster/msgpack_writer.cpp: msgpack-c's packer into a std::string,
// and our placeholder JSON walked with RapidJSON (see msgpack_writer.hpp).
#include "lib/cluster/msgpack_writer.hpp"

#include "lib/protocol/json_scan.hpp"

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST
#endif
#include <msgpack/pack.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <cstring>

namespace sio::cluster {

using protocol::result;

namespace {

/// The stream msgpack::packer writes to.
struct string_sink {
  std::string& s;
  void write(const char* p, size_t n) { s.append(p, n); }
};

using packer = msgpack::packer<string_sink>;

class walker {
public:
  walker(mp_writer& w, const std::vector<std::string>& attachments)
    : w_(w), attachments_(attachments) {}

  bool write(const rapidjson::Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType: w_.nil(); return true;
      case rapidjson::kFalseType: w_.boolean(false); return true;
      case rapidjson::kTrueType: w_.boolean(true); return true;
      case rapidjson::kStringType:
        w_.str({v.GetString(), v.GetStringLength()});
        return true;
      case rapidjson::kNumberType:
        if (v.IsUint64()) w_.uinteger(v.GetUint64());
        else if (v.IsInt64()) w_.integer(v.GetInt64());
        else w_.number(v.GetDouble());
        return true;
      case rapidjson::kArrayType:
        w_.array(v.Size());
        for (const auto& e : v.GetArray())
          if (!write(e))
            return false;
        return true;
      case rapidjson::kObjectType: {
        auto ph = v.FindMember("_placeholder");
        if (ph != v.MemberEnd() && ph->value.IsTrue()) { // reconstructPacket's test
          auto num = v.FindMember("num");
          if (num == v.MemberEnd() || !num->value.IsUint64()
              || num->value.GetUint64() >= attachments_.size()) {
            error = "placeholder without a valid num";
            return false;
          }
          w_.bin(attachments_[num->value.GetUint64()]);
          return true;
        }
        w_.map(v.MemberCount());
        for (const auto& m : v.GetObject()) {
          w_.str({m.name.GetString(), m.name.GetStringLength()});
          if (!write(m.value))
            return false;
        }
        return true;
      }
    }
    return false;
  }

  std::string error;

private:
  mp_writer& w_;
  const std::vector<std::string>& attachments_;
};

} // namespace

void mp_writer::array(size_t n) { string_sink s{out_}; packer{s}.pack_array(static_cast<uint32_t>(n)); }
void mp_writer::map(size_t n) { string_sink s{out_}; packer{s}.pack_map(static_cast<uint32_t>(n)); }
void mp_writer::str(std::string_view v) {
  string_sink s{out_};
  packer p{s};
  p.pack_str(static_cast<uint32_t>(v.size()));
  p.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
}
void mp_writer::bin(std::string_view v) {
  string_sink s{out_};
  packer p{s};
  p.pack_bin(static_cast<uint32_t>(v.size()));
  p.pack_bin_body(v.data(), static_cast<uint32_t>(v.size()));
}
void mp_writer::nil() { string_sink s{out_}; packer{s}.pack_nil(); }
void mp_writer::boolean(bool b) {
  string_sink s{out_};
  if (b) packer{s}.pack_true();
  else packer{s}.pack_false();
}
void mp_writer::integer(int64_t v) { string_sink s{out_}; packer{s}.pack_int64(v); }
void mp_writer::uinteger(uint64_t v) { string_sink s{out_}; packer{s}.pack_uint64(v); }
void mp_writer::number(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9223372036854775808.0) {
    if (v >= 0) uinteger(static_cast<uint64_t>(v));
    else integer(static_cast<int64_t>(v));
    return;
  }
  // float64 written by hand: msgpack-c 4.1's pack_double turns integral
  // values into integers and converts 2^64 to uint64_t (undefined; UBSan
  // and the fuzzer caught it). Integral values below 2^63 went above.
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  out_.push_back(static_cast<char>(0xcb));
  for (int shift = 56; shift >= 0; shift -= 8)
    out_.push_back(static_cast<char>((bits >> shift) & 0xff));
}

result<bool> append_json_as_msgpack(mp_writer& w, std::string_view json,
                                    const std::vector<std::string>& attachments,
                                    size_t max_depth) {
  protocol::detail::json_scan_options opts;
  opts.max_depth = max_depth; // bounds the recursion below
  auto scanned = protocol::detail::scan_json(json, opts);
  if (!scanned)
    return result<bool>::fail(scanned.error());
  rapidjson::Document doc;
  // Full precision: a double must come back as the same bits Node sent.
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag>(
    json.data(), json.size());
  if (doc.HasParseError())
    return result<bool>::fail("invalid JSON");
  walker wk{w, attachments};
  if (!wk.write(doc))
    return result<bool>::fail(wk.error.empty() ? "unwritable JSON" : wk.error);
  return result<bool>::ok(true);
}

} // namespace sio::cluster
