// sio/sio.hpp (actors/sio/sio.hpp)
// The one include an application needs.
#pragma once

#include <sio/args.hpp>
#include <sio/config.hpp>
#include <sio/emitter.hpp>
#include <sio/event.hpp>
#include <sio/event_handler.hpp>
#include <sio/handler.hpp>
#include <sio/http_route.hpp>
#include <sio/inline_handler.hpp>
#include <sio/run.hpp>
#include <sio/service.hpp>
