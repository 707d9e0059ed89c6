#include "actors/type_registry.hpp"

#include "actors/interfaces.hpp"

#include <caf/all.hpp>

namespace sio {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<socket_ref>("sio::socket_ref");
  cfg.add_message_type<connect_event>("sio::connect_event");
  cfg.add_message_type<connect_verdict>("sio::connect_verdict");
  cfg.add_message_type<connected_event>("sio::connected_event");
  cfg.add_message_type<disconnected_event>("sio::disconnected_event");
  cfg.add_message_type<message_event>("sio::message_event");
  cfg.add_message_type<message_reply>("sio::message_reply");
  cfg.add_message_type<socket_joined>("sio::socket_joined");
  cfg.add_message_type<socket_left>("sio::socket_left");
  cfg.add_message_type<hub_stats>("sio::hub_stats");
  cfg.add_message_type<socket_ack>("sio::socket_ack");
  cfg.add_message_type<socket_no_ack>("sio::socket_no_ack");
  cfg.add_message_type<ack_result>("sio::ack_result");
  cfg.add_message_type<socket_info>("sio::socket_info");
  cfg.add_message_type<socket_page>("sio::socket_page");
}

} // namespace sio
