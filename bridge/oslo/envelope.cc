#include "bridge/oslo/envelope.h"

#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace amqp::oslo {
namespace {

// A small first chunk: most messages are well under 4 KiB, and RapidJSON's
// default (64 KiB per document) would dominate the memory per message.
constexpr size_t kChunkSize = 4096;

// oslo's _utils.version_is_compatible("2.0", version): same major, minor not
// above 0, and with minor 0 no revision above 0 ("2.0.1" is refused).
// Unparsable versions are refused (oslo raises on them too).
bool EnvelopeVersionIsCompatible(absl::string_view version) {
  std::vector<absl::string_view> parts = absl::StrSplit(version, '.');
  int major = 0, minor = 0, revision = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major) ||
      !absl::SimpleAtoi(parts[1], &minor) ||
      (parts.size() > 2 && !absl::SimpleAtoi(parts[2], &revision))) {
    return false;
  }
  return major == 2 && minor <= 0 && !(minor == 0 && revision > 0);
}

}  // namespace

struct ParsedMessage::Storage {
  std::string body;
  rapidjson::MemoryPoolAllocator<> allocator{kChunkSize};
  JsonDocument outer{&allocator};
  JsonDocument inner{&allocator};
};

void AppendEnvelope(absl::string_view message_json, std::string* out) {
  out->append("{\"oslo.version\": \"2.0\", \"oslo.message\": ");
  AppendPyJsonString(message_json, out);
  out->push_back('}');
}

ParsedMessage::ParsedMessage(std::unique_ptr<Storage> storage)
    : storage_(std::move(storage)) {}
ParsedMessage::ParsedMessage(ParsedMessage&&) noexcept = default;
ParsedMessage& ParsedMessage::operator=(ParsedMessage&&) noexcept = default;
ParsedMessage::~ParsedMessage() = default;

rapidjson::MemoryPoolAllocator<>& ParsedMessage::allocator() {
  return storage_->allocator;
}

absl::Status ParsedMessage::TooDeepError(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " nests JSON deeper than ", kMaxJsonDepth, " levels"));
}

absl::StatusOr<ParsedMessage> ParsedMessage::Parse(std::string body) {
  // Insitu parsing stops at a NUL byte; valid JSON never contains a raw one,
  // so refuse it rather than silently ignore what follows.
  if (body.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "message body is not JSON: it contains a NUL byte");
  }
  auto storage = std::make_unique<Storage>();
  storage->body = std::move(body);
  // Room after the NUL for ParseJsonInsitu's block reads (the inner text
  // lies inside the body, so this covers both parses).
  storage->body.reserve(storage->body.size() + kInsituPadding);
  bool pruned = false;
  if (absl::Status s = ParseJsonInsituPruning(storage->body.data(),
                                              &storage->outer, &pruned);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message body is not JSON: ", s.message()));
  }
  const rapidjson::Value& outer = storage->outer;
  if (!outer.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message body is ", JsonTypeName(outer), ", not a JSON object"));
  }
  const auto version = outer.FindMember(kVersionKey);
  const auto message = outer.FindMember(kMessageKey);
  // Like deserialize_msg: without both keys the dict is the message itself.
  if (version == outer.MemberEnd() || message == outer.MemberEnd()) {
    ParsedMessage parsed(std::move(storage));
    parsed.message_ = &parsed.storage_->outer;
    parsed.pruned_ = pruned;
    return parsed;
  }
  if (!version->value.IsString() ||
      !EnvelopeVersionIsCompatible(absl::string_view(
          version->value.GetString(), version->value.GetStringLength()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported oslo.version ", ToPyJson(version->value),
                     " (this codec speaks envelope ", kEnvelopeVersion, ")"));
  }
  if (!message->value.IsString()) {
    return absl::InvalidArgumentError(
        absl::StrCat("oslo.message is ", JsonTypeName(message->value),
                     ", not a string holding a JSON object"));
  }
  // Insitu parsing left the decoded string NUL-terminated in the body buffer,
  // so the inner JSON can be parsed in place too. An escaped NUL (\u0000)
  // would cut it short: JSON text never contains a raw NUL, so refuse it.
  char* inner_text = const_cast<char*>(message->value.GetString());
  const size_t inner_length = message->value.GetStringLength();
  if (std::memchr(inner_text, '\0', inner_length) != nullptr) {
    return absl::InvalidArgumentError(
        "oslo.message is not JSON: it contains a NUL character");
  }
  if (absl::Status s =
          ParseJsonInsituPruning(inner_text, &storage->inner, &pruned);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("oslo.message is not JSON: ", s.message()));
  }
  if (!storage->inner.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat("oslo.message holds ",
                                                   JsonTypeName(storage->inner),
                                                   ", not a JSON object"));
  }
  ParsedMessage parsed(std::move(storage));
  parsed.message_ = &parsed.storage_->inner;
  parsed.enveloped_ = true;
  parsed.pruned_ = pruned;
  return parsed;
}

}  // namespace amqp::oslo
