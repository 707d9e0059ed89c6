// actors/cluster_frames.hpp
// Client frames between a hub's wire_batch and the cluster's messages:
// copied out once per message sent, shared (one allocation per frame) by
// every recipient of a message received.
#pragma once

#include "lib/cluster/frame.hpp"
#include <sio/event_handler.hpp>

#include <memory>
#include <vector>

namespace sio {

/// The frames of a batch, for a message to other nodes.
inline std::vector<cluster::frame> frames_of(const wire_batch& batch) {
  std::vector<cluster::frame> out;
  if (!batch)
    return out;
  out.reserve(batch->size());
  for (auto& p : *batch)
    out.push_back({p.binary, p.frame ? *p.frame : std::string{}});
  return out;
}

/// A batch of received frames (moved out of `frames`).
inline wire_batch batch_of(std::vector<cluster::frame>& frames) {
  auto batch = std::make_shared<std::vector<wire_packet>>();
  batch->reserve(frames.size());
  for (auto& f : frames)
    batch->push_back({f.binary, std::make_shared<const std::string>(std::move(f.bytes))});
  return batch;
}

} // namespace sio
