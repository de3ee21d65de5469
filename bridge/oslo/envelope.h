// oslo's message envelope ("2.0"): every RPC body is
// {"oslo.version": "2.0", "oslo.message": "<the message dict as JSON text>"}.
// ParsedMessage undoes it (or takes an un-enveloped dict as is, as oslo's
// deserialize_msg does) and owns the parsed message.

#ifndef BRIDGE_OSLO_ENVELOPE_H_
#define BRIDGE_OSLO_ENVELOPE_H_

#include <rapidjson/document.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"

namespace amqp::oslo {

inline constexpr char kEnvelopeVersion[] = "2.0";
inline constexpr char kVersionKey[] = "oslo.version";
inline constexpr char kMessageKey[] = "oslo.message";

// Appends the envelope around `message_json` (the JSON text of the message
// dict), byte-identical to oslo's serialize_msg + jsonutils.dumps.
void AppendEnvelope(absl::string_view message_json, std::string* out);

// A received message dict. Strings point into the body it was parsed from;
// body and documents live behind one pointer, so moving a ParsedMessage
// keeps every pointer into message() valid.
class ParsedMessage {
 public:
  // Accepts an enveloped message (oslo.version compatible with 2.0, that is
  // major 2 and minor 0; oslo.message a string holding a JSON object) or a
  // bare JSON object. InvalidArgument otherwise, naming what is wrong.
  // Values nested deeper than kMaxJsonDepth are replaced by null (pruned()),
  // so that a caller still learns where to send its answer.
  static absl::StatusOr<ParsedMessage> Parse(std::string body);

  ParsedMessage(ParsedMessage&&) noexcept;
  ParsedMessage& operator=(ParsedMessage&&) noexcept;
  ~ParsedMessage();

  // The message dict (always an object).
  const rapidjson::Value& message() const { return *message_; }
  // Whether the body carried the envelope.
  bool enveloped() const { return enveloped_; }
  // Whether a value nested deeper than kMaxJsonDepth stands as a null.
  bool pruned() const { return pruned_; }
  // InvalidArgument "<what> nests JSON deeper than <kMaxJsonDepth> levels",
  // for messages that were pruned.
  static absl::Status TooDeepError(absl::string_view what);
  // Allocator for values derived from the message (they live as long as it).
  rapidjson::MemoryPoolAllocator<>& allocator();

 private:
  struct Storage;
  explicit ParsedMessage(std::unique_ptr<Storage> storage);

  std::unique_ptr<Storage> storage_;
  const rapidjson::Value* message_ = nullptr;
  bool enveloped_ = false;
  bool pruned_ = false;
};

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_ENVELOPE_H_
