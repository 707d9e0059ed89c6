#include "lib/auth/jwt.hpp"

#include "lib/auth/hmac.hpp"
#include "lib/protocol/ascii.hpp"
#include "lib/protocol/base64.hpp"
#include "lib/protocol/percent.hpp"
#include "lib/protocol/url.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sio::auth {

namespace {

using protocol::result;

constexpr std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})";

/// Claim values nest at most this deep; deeper payloads are rejected before
/// RapidJSON (whose DOM serialisation recurses) ever sees them.
constexpr int max_json_depth = 16;

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

/// Deepest [ / { nesting of a JSON text, skipping string contents. Runs in
/// constant stack so that a hostile token cannot exhaust it.
int json_depth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

/// Parses a JSON object of limited depth; false for anything else.
bool parse_object(std::string_view text, rapidjson::Document& doc) {
  if (json_depth(text) > max_json_depth)
    return false;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

/// Rejects objects that name a member twice: which one a reader honours is
/// implementation-defined, and such ambiguity is a classic JWT bypass.
bool has_duplicate_members(const rapidjson::Value& obj) {
  for (auto a = obj.MemberBegin(); a != obj.MemberEnd(); ++a)
    for (auto b = a + 1; b != obj.MemberEnd(); ++b)
      if (a->name.GetStringLength() == b->name.GetStringLength()
          && std::memcmp(a->name.GetString(), b->name.GetString(),
                         a->name.GetStringLength())
               == 0)
        return true;
  return false;
}

std::string_view view_of(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string compact_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

/// One scalar (or nested container as JSON text) as the webhook shows it.
std::string stringify(const rapidjson::Value& v) {
  if (v.IsString())
    return std::string{view_of(v)};
  if (v.IsBool())
    return v.GetBool() ? "true" : "false";
  if (v.IsInt64())
    return std::to_string(v.GetInt64());
  if (v.IsUint64())
    return std::to_string(v.GetUint64());
  return compact_json(v);
}

std::vector<std::string> flatten(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (v.IsNull())
    return out;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray())
      if (!item.IsNull())
        out.push_back(stringify(item));
    return out;
  }
  out.push_back(stringify(v));
  return out;
}

/// Epoch-seconds claim: integer or finite number; fractions are truncated
/// toward the past, as NumericDate allows.
std::optional<int64_t> numeric_date(const rapidjson::Value& v) {
  if (v.IsInt64())
    return v.GetInt64();
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (std::isfinite(d) && d > -9.0e18 && d < 9.0e18)
      return static_cast<int64_t>(std::floor(d));
  }
  return std::nullopt;
}

/// A string or an array of strings; false for any other shape.
bool string_list(const rapidjson::Value& v, std::vector<std::string>& out) {
  if (v.IsString()) {
    out.emplace_back(view_of(v));
    return true;
  }
  if (!v.IsArray())
    return false;
  for (const auto& item : v.GetArray()) {
    if (!item.IsString())
      return false;
    out.emplace_back(view_of(item));
  }
  return true;
}

bool signature_matches(std::string_view signing_input,
                       std::string_view signature, std::string_view key) {
  if (key.empty())
    return false;
  return constant_time_equal(hmac_sha256(key, signing_input), signature);
}

// -- URL comparison helpers ---

/// A URL reduced to what two URLs must share to name the same endpoint:
/// scheme and authority lowered, default port dropped, path decoded.
struct comparable_url {
  std::string scheme;
  std::string authority;
  std::string path;
};

std::optional<comparable_url> comparable(std::string_view url) {
  auto split = protocol::split_url(url);
  if (split.scheme.empty())
    return std::nullopt;
  comparable_url parts;
  parts.scheme = protocol::ascii_lowered(split.scheme);
  parts.authority = protocol::ascii_lowered(split.authority);
  if (parts.authority.empty())
    return std::nullopt;
  // "http://h:80" and "http://h" name the same origin.
  auto strip_port = [&](std::string_view port) {
    auto& a = parts.authority;
    if (a.size() > port.size()
        && a.compare(a.size() - port.size(), port.size(), port) == 0)
      a.resize(a.size() - port.size());
  };
  if (parts.scheme == "http" || parts.scheme == "ws")
    strip_port(":80");
  else if (parts.scheme == "https" || parts.scheme == "wss")
    strip_port(":443");
  auto path = split.path;
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  auto decoded = protocol::percent_decode(path);
  if (!decoded)
    return std::nullopt;
  parts.path = std::move(*decoded);
  return parts;
}

} // namespace

std::string sign_hs256(std::string_view payload_json, std::string_view key) {
  std::string out = protocol::base64url_encode(header_json);
  out.push_back('.');
  out += protocol::base64url_encode(payload_json);
  auto sig = hmac_sha256(key, out);
  out.push_back('.');
  out += protocol::base64url_encode(sig);
  return out;
}

std::string make_token(const token_request& req, std::string_view key,
                       int64_t now) {
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  auto string_array = [&w](const char* name,
                           const std::vector<std::string>& items) {
    if (items.empty())
      return;
    w.Key(name);
    w.StartArray();
    for (const auto& item : items)
      w.String(item.data(), static_cast<rapidjson::SizeType>(item.size()));
    w.EndArray();
  };
  w.StartObject();
  w.Key("nbf");
  w.Int64(now);
  w.Key("exp");
  w.Int64(now + req.lifetime_seconds);
  w.Key("iat");
  w.Int64(now);
  w.Key("aud");
  w.String(req.audience.data(),
           static_cast<rapidjson::SizeType>(req.audience.size()));
  if (req.user_id) {
    w.Key("sub");
    w.String(req.user_id->data(),
             static_cast<rapidjson::SizeType>(req.user_id->size()));
  }
  string_array("role", req.roles);
  string_array("webpubsub.group", req.groups);
  w.EndObject();
  return sign_hs256({buf.GetString(), buf.GetSize()}, key);
}

result<jwt_claims> verify_hs256(std::string_view token,
                                const access_keys& keys, int64_t now,
                                int64_t skew_seconds) {
  using res = result<jwt_claims>;
  if (token.size() > max_token_length)
    return res::fail("token too long");
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1
                                             : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos
      || token.find('.', dot2 + 1) != std::string_view::npos)
    return res::fail("malformed token");
  auto header_b64 = token.substr(0, dot1);
  auto payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  auto sig_b64 = token.substr(dot2 + 1);
  auto header = protocol::base64url_decode(header_b64);
  if (!header)
    return res::fail("malformed token");
  {
    rapidjson::Document doc;
    if (!parse_object(*header, doc) || has_duplicate_members(doc))
      return res::fail("malformed token");
    auto alg = doc.FindMember("alg");
    // Exactly "HS256": "none", "hs256", RS256 key-confusion, all refused.
    if (alg == doc.MemberEnd() || !alg->value.IsString()
        || view_of(alg->value) != "HS256")
      return res::fail("unsupported alg");
  }
  auto signature = protocol::base64url_decode(sig_b64);
  if (!signature)
    return res::fail("malformed token");
  auto signing_input = token.substr(0, dot2);
  if (!signature_matches(signing_input, *signature, keys.primary)
      && !signature_matches(signing_input, *signature, keys.secondary))
    return res::fail("invalid signature");
  // Only authenticated payloads are parsed beyond this point.
  auto payload = protocol::base64url_decode(payload_b64);
  if (!payload)
    return res::fail("malformed token");
  rapidjson::Document doc;
  if (!parse_object(*payload, doc) || has_duplicate_members(doc))
    return res::fail("malformed token");
  jwt_claims claims;
  claims.all.reserve(doc.MemberCount());
  for (const auto& m : doc.GetObject()) {
    auto name = view_of(m.name);
    const auto& v = m.value;
    bool ok = true;
    if (name == "exp") {
      claims.exp = numeric_date(v);
      ok = claims.exp.has_value();
    } else if (name == "nbf") {
      claims.nbf = numeric_date(v);
      ok = claims.nbf.has_value();
    } else if (name == "iat") {
      claims.iat = numeric_date(v);
      ok = claims.iat.has_value();
    } else if (name == "sub") {
      ok = v.IsString();
      if (ok)
        claims.sub = std::string{view_of(v)};
    } else if (name == "aud") {
      ok = string_list(v, claims.aud);
    } else if (name == "role") {
      ok = string_list(v, claims.roles);
    } else if (name == "webpubsub.group") {
      ok = string_list(v, claims.groups);
    }
    if (!ok)
      return res::fail("malformed token");
    claims.all.emplace_back(std::string{name}, flatten(v));
  }
  if (!claims.exp)
    return res::fail("missing exp");
  if (now > *claims.exp + skew_seconds)
    return res::fail("token expired");
  if (claims.nbf && now + skew_seconds < *claims.nbf)
    return res::fail("token not yet valid");
  return res::ok(std::move(claims));
}

bool audience_matches(std::string_view aud, std::string_view expected_url,
                      bool compare_host) {
  auto a = comparable(aud);
  auto b = comparable(expected_url);
  if (!a || !b)
    return false;
  if (compare_host && (a->scheme != b->scheme || a->authority != b->authority))
    return false;
  return a->path == b->path;
}

bool client_audience_matches(std::string_view aud,
                             std::string_view public_endpoint,
                             std::string_view hub) {
  std::string base{public_endpoint};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  std::string hub_s{hub};
  return audience_matches(aud, base + "/clients/socketio/hubs/" + hub_s)
         || audience_matches(aud, base + "/client/hubs/" + hub_s);
}

} // namespace sio::auth
