#include "bridge/transport/publish_frames.h"

#include <amqp_framing.h>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"

namespace amqp::transport {
namespace {

// Frame type (1), channel (2) and payload size (4) before the payload; the
// frame-end octet after it (AMQP 0-9-1, 2.3.5).
constexpr size_t kFrameHeaderBytes = 7;
constexpr size_t kFrameFooterBytes = 1;
// Room first offered to an encoder, on the stack: basic.publish's arguments
// and the basic properties without headers take at most about 2.6 KiB (ten
// short strings). A larger headers table gets more room, up to the limit.
constexpr size_t kFirstRoom = 4096;
constexpr size_t kMaxRoom = 1 << 20;

void PutBigEndian(uint64_t value, int bytes, char* at) {
  for (int i = bytes - 1; i >= 0; --i) {
    at[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

// Appends one frame of `type` whose payload is `prefix` then `payload`.
void AppendFrame(uint8_t type, amqp_channel_t channel, absl::string_view prefix,
                 absl::string_view payload, std::string* out) {
  char header[kFrameHeaderBytes];
  header[0] = static_cast<char>(type);
  PutBigEndian(channel, 2, header + 1);
  PutBigEndian(prefix.size() + payload.size(), 4, header + 3);
  out->append(header, sizeof(header));
  out->append(prefix.data(), prefix.size());
  out->append(payload.data(), payload.size());
  out->push_back(static_cast<char>(AMQP_FRAME_END));
}

// Appends one frame of `type` whose payload is `prefix` then what `encode`
// writes into the room it is given (the bytes written, or a negative
// rabbitmq-c status when they do not fit). Retries with more room while the
// encoder fails, up to kMaxRoom; returns its last status on failure,
// leaving `out` as it was.
int AppendEncodedFrame(uint8_t type, amqp_channel_t channel,
                       absl::string_view prefix,
                       absl::FunctionRef<int(amqp_bytes_t)> encode,
                       std::string* out) {
  char first_room[kFirstRoom];
  std::string larger_room;
  char* room = first_room;
  int encoded = encode(amqp_bytes_t{kFirstRoom, room});
  for (size_t size = kFirstRoom * 4; encoded < 0 && size <= kMaxRoom;
       size *= 4) {
    larger_room.resize(size);
    room = larger_room.data();
    encoded = encode(amqp_bytes_t{size, room});
  }
  if (encoded >= 0) {
    AppendFrame(type, channel, prefix, absl::string_view(room, encoded), out);
  }
  return encoded;
}

}  // namespace

absl::Status AppendPublishFrames(amqp_channel_t channel,
                                 const amqp_basic_publish_t& method,
                                 const amqp_basic_properties_t& properties,
                                 absl::string_view body, uint32_t frame_max,
                                 std::string* out) {
  const size_t start = out->size();
  const size_t body_per_frame =
      frame_max - kFrameHeaderBytes - kFrameFooterBytes;

  // Method frame: the method's number (class and method id), its arguments.
  char method_number[4];
  PutBigEndian(AMQP_BASIC_PUBLISH_METHOD, 4, method_number);
  int rc = AppendEncodedFrame(
      AMQP_FRAME_METHOD, channel,
      absl::string_view(method_number, sizeof(method_number)),
      [&method](amqp_bytes_t room) {
        return amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD,
                                  const_cast<amqp_basic_publish_t*>(&method),
                                  room);
      },
      out);
  // Content header: class, weight 0, body size, then the properties.
  if (rc >= 0) {
    char header_start[12];
    PutBigEndian(AMQP_BASIC_CLASS, 2, header_start);
    PutBigEndian(0, 2, header_start + 2);
    PutBigEndian(body.size(), 8, header_start + 4);
    rc = AppendEncodedFrame(
        AMQP_FRAME_HEADER, channel,
        absl::string_view(header_start, sizeof(header_start)),
        [&properties](amqp_bytes_t room) {
          return amqp_encode_properties(
              AMQP_BASIC_CLASS,
              const_cast<amqp_basic_properties_t*>(&properties), room);
        },
        out);
  }
  if (rc < 0) {
    out->resize(start);
    return absl::InvalidArgumentError(absl::StrCat(
        "encoding basic.publish: ", amqp_error_string2(rc),
        " (a short string over 255 bytes, or headers over 1 MiB)"));
  }
  // Body frames, each as full as frame_max allows; none for an empty body.
  for (size_t offset = 0; offset < body.size(); offset += body_per_frame) {
    AppendFrame(AMQP_FRAME_BODY, channel, {},
                body.substr(offset, body_per_frame), out);
  }
  return absl::OkStatus();
}

}  // namespace amqp::transport
