// sio/run.hpp (actors/sio/run.hpp)
// The main() of a service program in one call.
#pragma once

#include <sio/service.hpp>

#include <string>

namespace sio {

/// Starts `svc`, prints its connection string and client URLs, serves until
/// SIGINT or SIGTERM and stops it with `stop_reason`. Returns the process's
/// exit code: 0, or 1 when start() failed (the reason goes to stderr).
int run_until_signal(service& svc,
                     const std::string& stop_reason = "server shutting down");

} // namespace sio
