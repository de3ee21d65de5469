// The well-known types whose JSON form is not an object of their fields, and
// the RFC 3339 / proto3-JSON text forms of Timestamp and Duration. Shared by
// the two directions of the transcoder.

#ifndef BRIDGE_TRANSCODE_WELL_KNOWN_H_
#define BRIDGE_TRANSCODE_WELL_KNOWN_H_

#include <google/protobuf/descriptor.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace amqp::transcode {

enum class WellKnown {
  kNone,  // an ordinary message: a JSON object of its fields
  kAny,   // not supported over oslo
  kDuration,
  kEmpty,
  kFieldMask,
  kListValue,
  kStruct,
  kTimestamp,
  kValue,
  kWrapper,  // Int32Value, StringValue...: the JSON of its `value` field
};

WellKnown WellKnownOf(const google::protobuf::Descriptor& type);

// Field `number` of a well-known type. They number their fields from 1 in
// declaration order, so this is an index rather than a hash lookup.
const google::protobuf::FieldDescriptor& WellKnownField(
    const google::protobuf::Descriptor& type, int number);

// Room for the longest text FormatTimestamp or FormatDuration writes. They
// write into the caller's memory: a std::string of them would not fit its
// inline buffer, and allocating cost a fifth of a timestamp's writing.
inline constexpr size_t kMaxTimeText = 32;

// "2024-05-01T12:00:00Z", with 3, 6 or 9 fractional digits when non-zero, at
// `text` (kMaxTimeText bytes of room); `*size` is its length.
// INVALID_ARGUMENT outside years 1 to 9999.
absl::Status FormatTimestamp(int64_t seconds, int32_t nanos, char* text,
                             size_t* size);
// Accepts RFC 3339 ("...Z", "...+02:00") and Python's naive isoformat
// ("2024-05-01T12:00:00.123456", or with a space), taken as UTC.
absl::Status ParseTimestamp(absl::string_view text, int64_t* seconds,
                            int32_t* nanos);

// proto3 JSON durations: "1.5s", "-0.000001s"; written like
// FormatTimestamp's.
absl::Status FormatDuration(int64_t seconds, int32_t nanos, char* text,
                            size_t* size);
absl::Status ParseDuration(absl::string_view text, int64_t* seconds,
                           int32_t* nanos);

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_WELL_KNOWN_H_
