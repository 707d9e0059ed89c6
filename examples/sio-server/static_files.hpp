// examples/sio-server/static_files.hpp
// The two files of the demo chat page: `/` (examples/chat/index.html) and
// `/socket.io.min.js` (the official browser client from the socket.io-client
// npm package). Only these exact paths are served: no directory listing, no
// path from the request ever reaches the file system.
#pragma once

#include <sio/http_route.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sio::demo {

/// Where the page and the client live, and the answers that serve them.
class static_files {
public:
  /// With `dir`: dir/index.html and dir/socket.io.min.js. Without: the
  /// repository found above the executable (or the working directory), i.e.
  /// examples/chat/index.html and
  /// node_modules/socket.io-client/dist/socket.io.min.js.
  static static_files locate(const std::string& dir);

  /// The paths served (GET routes): /, /index.html and /socket.io.min.js.
  static const std::vector<std::string>& paths();

  /// The answer to GET `path` (one of paths()): the file, or 404 JSON and a
  /// log hint when it is missing.
  http_response serve(std::string_view path) const;

  /// Logs where the files are expected and hints at missing ones.
  void log_status() const;

  const std::string& index_path() const { return index_path_; }
  const std::string& client_path() const { return client_path_; }

private:
  std::string index_path_;   ///< empty: not found anywhere
  std::string client_path_;  ///< empty: not found anywhere
};

} // namespace sio::demo
