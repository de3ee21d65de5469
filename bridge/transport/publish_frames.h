// The wire frames of one basic.publish, encoded into memory instead of
// written to a socket.
//
// rabbitmq-c's amqp_basic_publish writes each frame of a message (method,
// content header, body) with a send() of its own. On loopback every send is
// a system call and the last one a TCP push, which wakes the broker; a
// connection that buffers these bytes instead writes a burst of messages in
// one send (Connection::FlushOutput). The bytes are rabbitmq-c's own: its
// public encoders fill in the method and the properties, and the framing is
// what amqp_send_frame adds (tests/transport/publish_frames_test.cc compares
// both, byte for byte).

#ifndef BRIDGE_TRANSPORT_PUBLISH_FRAMES_H_
#define BRIDGE_TRANSPORT_PUBLISH_FRAMES_H_

#include <amqp.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace amqp::transport {

// Appends the frames of basic.publish `method` on `channel`, with
// `properties` and `body`, to `out`: the method frame, the content header
// and as many body frames as `frame_max` (the connection's negotiated frame
// size) requires. INVALID_ARGUMENT, leaving `out` as it was, when a field
// does not fit its AMQP type (a short string over 255 bytes).
absl::Status AppendPublishFrames(amqp_channel_t channel,
                                 const amqp_basic_publish_t& method,
                                 const amqp_basic_properties_t& properties,
                                 absl::string_view body, uint32_t frame_max,
                                 std::string* out);

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_PUBLISH_FRAMES_H_
