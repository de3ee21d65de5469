// Errors that name the field path they happened at, built while unwinding
// the transcoder's recursion: "field 'flavor.vcpus': expected an integer".

#ifndef BRIDGE_TRANSCODE_FIELD_ERROR_H_
#define BRIDGE_TRANSCODE_FIELD_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace amqp::transcode {

// `status` as seen from the enclosing field `name`.
inline absl::Status InField(absl::string_view name,
                            const absl::Status& status) {
  constexpr absl::string_view kPrefix = "field '";
  absl::string_view message = status.message();
  if (absl::ConsumePrefix(&message, kPrefix)) {
    return absl::Status(status.code(),
                        absl::StrCat(kPrefix, name, ".", message));
  }
  return absl::Status(status.code(),
                      absl::StrCat(kPrefix, name, "': ", message));
}

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_FIELD_ERROR_H_
