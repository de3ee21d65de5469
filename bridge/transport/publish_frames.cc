#include "bridge/transport/publish_frames.h"

#include <amqp_framing.h>

#include <algorithm>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"

namespace amqp::transport {
namespace {

// Frame type (1), channel (2) and payload size (4) before the payload; the
// frame-end octet after it (AMQP 0-9-1, 2.3.5).
constexpr size_t kFrameHeaderBytes = 7;
constexpr size_t kFrameFooterBytes = 1;
// The content header's fixed part: class id, weight, body size.
constexpr size_t kContentHeaderFixedBytes = 12;
// Room first offered to an encoder: basic.publish's arguments and the basic
// properties without headers take at most about 2.6 KiB (ten short strings).
// A larger headers table gets more room, up to the limit.
constexpr size_t kFirstRoom = 4096;
constexpr size_t kMaxRoom = 1 << 20;

void PutBigEndian(uint64_t value, int bytes, char* at) {
  for (int i = bytes - 1; i >= 0; --i) {
    at[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

// Writes the header and the end octet of the frame at `frame`, around its
// `payload_bytes` of payload.
void CloseFrame(uint8_t type, amqp_channel_t channel, size_t payload_bytes,
                char* frame) {
  frame[0] = static_cast<char>(type);
  PutBigEndian(channel, 2, frame + 1);
  PutBigEndian(payload_bytes, 4, frame + 3);
  frame[kFrameHeaderBytes + payload_bytes] = static_cast<char>(AMQP_FRAME_END);
}

// Appends one frame of `type` whose payload is `fixed` (prefix bytes the
// caller fills in `fill`'s first argument) followed by what `encode` writes
// into the room it is given (returning the bytes written, or a negative
// rabbitmq-c status when they do not fit). Retries with more room while
// the encoder fails, up to kMaxRoom; returns its last status on failure,
// leaving `out` as it was.
int AppendEncodedFrame(uint8_t type, amqp_channel_t channel, size_t fixed,
                       absl::FunctionRef<void(char*)> fill,
                       absl::FunctionRef<int(amqp_bytes_t)> encode,
                       std::string* out) {
  const size_t start = out->size();
  int encoded = AMQP_STATUS_BAD_AMQP_DATA;
  for (size_t room = kFirstRoom; room <= kMaxRoom; room *= 4) {
    out->resize(start + kFrameHeaderBytes + fixed + room + kFrameFooterBytes);
    char* payload = out->data() + start + kFrameHeaderBytes;
    fill(payload);
    encoded = encode(amqp_bytes_t{room, payload + fixed});
    if (encoded >= 0) break;
  }
  if (encoded < 0) {
    out->resize(start);
    return encoded;
  }
  const size_t payload_bytes = fixed + encoded;
  CloseFrame(type, channel, payload_bytes, out->data() + start);
  out->resize(start + kFrameHeaderBytes + payload_bytes + kFrameFooterBytes);
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
  const size_t body_frames =
      (body.size() + body_per_frame - 1) / body_per_frame;
  out->reserve(start + kFirstRoom + body.size() +
               (2 + body_frames) * (kFrameHeaderBytes + kFrameFooterBytes));

  // Method frame: the method's number (class and method id), its arguments.
  int rc = AppendEncodedFrame(
      AMQP_FRAME_METHOD, channel, 4,
      [](char* payload) {
        PutBigEndian(AMQP_BASIC_PUBLISH_METHOD, 4, payload);
      },
      [&method](amqp_bytes_t room) {
        return amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD,
                                  const_cast<amqp_basic_publish_t*>(&method),
                                  room);
      },
      out);
  // Content header: class, weight 0, body size, then the properties.
  if (rc >= 0) {
    rc = AppendEncodedFrame(
        AMQP_FRAME_HEADER, channel, kContentHeaderFixedBytes,
        [&body](char* payload) {
          PutBigEndian(AMQP_BASIC_CLASS, 2, payload);
          PutBigEndian(0, 2, payload + 2);
          PutBigEndian(body.size(), 8, payload + 4);
        },
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
    const size_t chunk = std::min(body_per_frame, body.size() - offset);
    const size_t frame_at = out->size();
    out->resize(frame_at + kFrameHeaderBytes + chunk + kFrameFooterBytes);
    char* frame = out->data() + frame_at;
    std::copy_n(body.data() + offset, chunk, frame + kFrameHeaderBytes);
    CloseFrame(AMQP_FRAME_BODY, channel, chunk, frame);
  }
  return absl::OkStatus();
}

}  // namespace amqp::transport
