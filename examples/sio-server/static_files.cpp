#include "examples/sio-server/static_files.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

namespace sio::demo {

namespace fs = std::filesystem;

namespace {

constexpr const char* index_rel = "examples/chat/index.html";
constexpr const char* client_rel =
  "node_modules/socket.io-client/dist/socket.io.min.js";

/// Neither file is anywhere near this size; a bigger one is not ours.
constexpr std::uintmax_t max_file_size = 8 * 1024 * 1024;

/// The first of `start` and its ancestors (at most `levels` up) that holds
/// examples/chat/index.html.
std::optional<fs::path> repo_above(fs::path start, int levels) {
  std::error_code ec;
  for (int i = 0; i <= levels && !start.empty(); ++i) {
    if (fs::is_regular_file(start / index_rel, ec))
      return start;
    if (!start.has_parent_path() || start.parent_path() == start)
      break;
    start = start.parent_path();
  }
  return std::nullopt;
}

/// The whole file, or nullopt when it is missing, unreadable or too big.
std::optional<std::string> read_file(const std::string& path) {
  if (path.empty())
    return std::nullopt;
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size > max_file_size || !fs::is_regular_file(path, ec))
    return std::nullopt;
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

static_files static_files::locate(const std::string& dir) {
  static_files out;
  if (!dir.empty()) {
    out.index_path_ = (fs::path{dir} / "index.html").string();
    out.client_path_ = (fs::path{dir} / "socket.io.min.js").string();
    return out;
  }
  std::error_code ec;
  std::optional<fs::path> root;
  // build*/examples/sio-server/sio-server sits three levels below the repo.
  if (auto exe = fs::read_symlink("/proc/self/exe", ec); !ec)
    root = repo_above(exe.parent_path(), 4);
  if (!root)
    if (auto cwd = fs::current_path(ec); !ec)
      root = repo_above(cwd, 2);
  if (root) {
    out.index_path_ = (*root / index_rel).string();
    out.client_path_ = (*root / client_rel).string();
  }
  return out;
}

void static_files::log_status() const {
  if (index_path_.empty()) {
    spdlog::warn("chat page: {} not found above the executable or the working "
                 "directory; pass --static-dir DIR (with index.html and "
                 "socket.io.min.js)", index_rel);
    return;
  }
  std::error_code ec;
  if (!fs::is_regular_file(index_path_, ec))
    spdlog::warn("chat page: {} is missing", index_path_);
  if (!fs::is_regular_file(client_path_, ec))
    spdlog::warn("chat page: {} is missing; run scripts/install-deps (npm ci) "
                 "to install the Socket.IO browser client", client_path_);
}

const std::vector<std::string>& static_files::paths() {
  static const std::vector<std::string> all{"/", "/index.html", "/socket.io.min.js"};
  return all;
}

http_response static_files::serve(std::string_view path) const {
  const std::string* file = &index_path_;
  const char* type = "text/html; charset=utf-8";
  const char* cache = "no-cache";  // edits to the page show on reload
  if (path == "/socket.io.min.js") {
    file = &client_path_;
    type = "application/javascript; charset=utf-8";
    cache = "public, max-age=3600";
  }
  auto body = read_file(*file);
  if (!body) {
    spdlog::warn("GET {}: {} is missing; {}", path,
                 file->empty() ? std::string{"the file"} : *file,
                 file == &client_path_
                   ? "run scripts/install-deps (npm ci) for the socket.io-client package"
                   : "pass --static-dir DIR");
    return http_response::error(404, "NotFound", "file not installed on the server");
  }
  http_response r;
  r.status = 200;
  r.content_type = type;
  r.headers.emplace_back("Cache-Control", cache);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(*body);
  return r;
}

} // namespace sio::demo
