// examples/sio-server/static_files.hpp
// The two files of the demo chat page: `/` (examples/chat/index.html) and
// `/socket.io.min.js` (the official browser client from the socket.io-client
// npm package). Only these exact paths are served: no directory listing, no
// path from the request ever reaches the file system.
#pragma once

#include "lib/http/server.hpp"

#include <string>

namespace sio::demo {

/// Where the page and the client live, and the handler that serves them.
class static_files {
public:
  /// With `dir`: dir/index.html and dir/socket.io.min.js. Without: the
  /// repository found above the executable (or the working directory), i.e.
  /// examples/chat/index.html and
  /// node_modules/socket.io-client/dist/socket.io.min.js.
  static static_files locate(const std::string& dir);

  /// Answers GET / , /index.html and /socket.io.min.js (404 JSON and a log
  /// hint when the file is missing, 405 for other methods); false for every
  /// other path (the caller answers those).
  bool handle(const http::exchange& ex) const;

  /// Logs where the files are expected and hints at missing ones.
  void log_status() const;

  const std::string& index_path() const { return index_path_; }
  const std::string& client_path() const { return client_path_; }

private:
  std::string index_path_;   ///< empty: not found anywhere
  std::string client_path_;  ///< empty: not found anywhere
};

} // namespace sio::demo
