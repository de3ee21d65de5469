// Parsing oslo.messaging JSON with RapidJSON: what Python's json.loads
// accepts (NaN, Infinity), numbers as json.loads reads them, a nesting limit
// checked without recursion, in place when the caller owns the text; and
// reading the parsed values with errors that name the field.

#ifndef BRIDGE_OSLO_JSON_PARSE_H_
#define BRIDGE_OSLO_JSON_PARSE_H_

#include <rapidjson/document.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace amqp::oslo {

// Deeper documents are refused (or pruned, below): the writer and the DOM
// walk them recursively, and no oslo message comes anywhere near this.
inline constexpr int kMaxJsonDepth = 64;

using JsonDocument = rapidjson::Document;

// A document with its own allocator, holding null.
JsonDocument NewJsonDocument();

// Parses `text` into `doc`. Accepts what Python's json.loads accepts,
// including NaN and Infinity. InvalidArgument, with RapidJSON's message and
// the byte offset, for invalid JSON, invalid UTF-8, or nesting deeper than
// `max_depth` (checked while parsing, without recursion). On error `doc` is
// null.
absl::Status ParseJson(absl::string_view text, JsonDocument* doc,
                       int max_depth = kMaxJsonDepth);

// Like ParseJson, but parses the NUL-terminated `text` in place: strings in
// `doc` point into `text`, which must outlive `doc` and is overwritten. The
// 15 bytes after the NUL must be readable (kInsituPadding): RapidJSON's SSE2
// scans read whole aligned 16-byte blocks.
inline constexpr size_t kInsituPadding = 15;
absl::Status ParseJsonInsitu(char* text, JsonDocument* doc,
                             int max_depth = kMaxJsonDepth);

// Like ParseJsonInsitu, but a container nested deeper than `max_depth` does
// not fail the parse: it is read through and stands in `doc` as a null, and
// `*pruned` says whether any did. For messages whose sender still deserves
// an answer: oslo's Python peers read any depth json.loads reads.
absl::Status ParseJsonInsituPruning(char* text, JsonDocument* doc, bool* pruned,
                                    int max_depth = kMaxJsonDepth);

// "an object", "a string", "null"... for error messages.
const char* JsonTypeName(const rapidjson::Value& value);

// The text of a string value (which must be a string), without copying.
inline absl::string_view JsonStringView(const rapidjson::Value& string) {
  return absl::string_view(string.GetString(), string.GetStringLength());
}

// A shared null value, for optional members that are absent.
const rapidjson::Value& JsonNull();

// InvalidArgument: `<message_kind> field "<field>" is <type>, not <want>`,
// e.g. `request field "args" is an array, not an object`.
absl::Status WrongFieldType(absl::string_view message_kind,
                            absl::string_view field,
                            const rapidjson::Value& value,
                            absl::string_view want);

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_JSON_PARSE_H_
