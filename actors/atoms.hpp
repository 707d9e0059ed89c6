// actors/atoms.hpp
// The atoms of the actor contract (CAF 0.17: at most 10 characters each).
#pragma once

#include <caf/atom.hpp>

namespace sio {

using open_atom = caf::atom_constant<caf::atom("open")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using post_atom = caf::atom_constant<caf::atom("post")>;
using ws_open_atom = caf::atom_constant<caf::atom("wsopen")>;
using ws_msg_atom = caf::atom_constant<caf::atom("wsmsg")>;
using ws_closed_atom = caf::atom_constant<caf::atom("wsclosed")>;
using aborted_atom = caf::atom_constant<caf::atom("aborted")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using handler_atom = caf::atom_constant<caf::atom("handler")>;

} // namespace sio
