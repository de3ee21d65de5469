#include "bridge/gateway/error_mapping.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bridge/oslo/failure.h"
#include "bridge/rpc/version.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace amqp::gateway {
namespace {

constexpr int kLastGrpcCode = 16;  // UNAUTHENTICATED
constexpr char kRemoteSuffix[] = "_Remote";
constexpr char kTruncatedMark[] = "... [truncated]";

std::optional<absl::StatusCode> CodeFromName(absl::string_view name) {
  for (int code = 0; code <= kLastGrpcCode; ++code) {
    auto status_code = static_cast<absl::StatusCode>(code);
    if (absl::EqualsIgnoreCase(name, absl::StatusCodeToString(status_code))) {
      return status_code;
    }
  }
  return std::nullopt;
}

bool IsClassNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Length of the well-formed UTF-8 sequence at the start of `text` (the rules
// protobuf applies to string fields: no overlongs, surrogates or values past
// U+10FFFF), or 0 when it is not one.
size_t Utf8SequenceLength(absl::string_view text) {
  const auto byte = [&](size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// What `piece` (one UTF-8 character) costs in grpc-message, which
// percent-encodes everything but printable ASCII other than '%'.
size_t WireCost(absl::string_view piece) {
  if (piece.size() == 1 && piece[0] >= 0x20 && piece[0] <= 0x7E &&
      piece[0] != '%') {
    return 1;
  }
  return 3 * piece.size();
}

// `text` as valid UTF-8 (each bad byte becomes U+FFFD) costing at most
// `max_wire_bytes`, cut on a character boundary and marked when too long.
// google.rpc.Status's message is a proto3 string: invalid UTF-8 there fails
// to parse in clients. `*cost`, when given, receives the result's cost.
std::string BoundedUtf8(absl::string_view text, size_t max_wire_bytes,
                        size_t* cost = nullptr) {
  std::string out;
  size_t used = 0;
  while (!text.empty()) {
    size_t length = Utf8SequenceLength(text);
    absl::string_view piece = length == 0 ? absl::string_view("\xEF\xBF\xBD")
                                          : text.substr(0, length);
    size_t piece_cost = WireCost(piece);
    if (used + piece_cost > max_wire_bytes) {
      absl::StrAppend(&out, kTruncatedMark);
      used += sizeof(kTruncatedMark) - 1;
      break;
    }
    absl::StrAppend(&out, piece);
    used += piece_cost;
    text.remove_prefix(length == 0 ? 1 : length);
  }
  if (cost != nullptr) *cost = used;
  return out;
}

// The innermost frames of a traceback that fit kMaxTracebackWireBytes, after
// a note saying how many lines were left out. No trailing newline.
std::string TracebackTail(const std::vector<std::string>& lines) {
  std::vector<std::string> kept;  // innermost first
  size_t total = 0;
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    size_t cost;
    std::string clean = BoundedUtf8(*line, kMaxTracebackWireBytes, &cost);
    // The innermost line stays even when it alone fills the budget (cut).
    if (total + cost > kMaxTracebackWireBytes && !kept.empty()) break;
    total += cost;
    kept.push_back(std::move(clean));
  }
  std::string out;
  if (kept.size() < lines.size()) {
    absl::StrAppend(&out, "[", lines.size() - kept.size(),
                    " earlier traceback line(s) omitted]\n");
  }
  for (auto line = kept.rbegin(); line != kept.rend(); ++line) {
    absl::StrAppend(&out, *line);
    if (!absl::EndsWith(out, "\n")) out.push_back('\n');
  }
  if (absl::EndsWith(out, "\n")) out.pop_back();
  return out;
}

grpc::Status MakeGrpcStatus(absl::StatusCode code, const std::string& message,
                            absl::string_view reason,
                            absl::string_view domain) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(domain));
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(static_cast<grpc::StatusCode>(code), message,
                      details.SerializeAsString());
}

}  // namespace

std::string GrpcCodeName(absl::StatusCode code) {
  int value = static_cast<int>(code);
  if (value < 0 || value > kLastGrpcCode) return "UNKNOWN";
  return absl::StatusCodeToString(code);
}

absl::StatusOr<ErrorMapper> ErrorMapper::Create(absl::string_view overrides,
                                                bool include_tracebacks) {
  std::vector<Override> parsed;
  for (absl::string_view entry : absl::StrSplit(overrides, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("error override \"", entry, "\": ", why,
                       " (expected CLASS=CODE, *SUFFIX=CODE or PREFIX*=CODE, "
                       "e.g. QuotaExceeded=RESOURCE_EXHAUSTED)"));
    };
    std::vector<absl::string_view> parts = absl::StrSplit(entry, '=');
    if (parts.size() != 2) return bad("needs exactly one '='");
    absl::string_view pattern = absl::StripAsciiWhitespace(parts[0]);
    absl::string_view code_name = absl::StripAsciiWhitespace(parts[1]);

    Override rule;
    rule.kind = Override::Kind::kExact;
    if (absl::ConsumePrefix(&pattern, "*")) {
      rule.kind = Override::Kind::kSuffix;
    } else if (absl::ConsumeSuffix(&pattern, "*")) {
      rule.kind = Override::Kind::kPrefix;
    }
    if (pattern.empty()) return bad("no class name");
    if (!std::all_of(pattern.begin(), pattern.end(), IsClassNameChar)) {
      return bad(
          "a class name has only letters, digits and '_', with at most one "
          "'*' at its start or end");
    }
    rule.name = std::string(pattern);

    std::optional<absl::StatusCode> code = CodeFromName(code_name);
    if (!code.has_value()) {
      return bad(absl::StrCat("\"", code_name,
                              "\" is not a gRPC status code name such as "
                              "NOT_FOUND or INVALID_ARGUMENT"));
    }
    if (*code == absl::StatusCode::kOk) {
      return bad("a failure cannot map to OK");
    }
    rule.code = *code;

    for (const Override& earlier : parsed) {
      if (earlier.kind == rule.kind && earlier.name == rule.name) {
        return bad("the same class pattern is given twice");
      }
    }
    parsed.push_back(std::move(rule));
  }
  // Exact names first, then longer fixed parts; stable keeps the given order
  // between equals.
  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const Override& a, const Override& b) {
                     bool a_exact = a.kind == Override::Kind::kExact;
                     bool b_exact = b.kind == Override::Kind::kExact;
                     if (a_exact != b_exact) return a_exact;
                     return a.name.size() > b.name.size();
                   });
  return ErrorMapper(std::move(parsed), include_tracebacks);
}

std::optional<absl::StatusCode> ErrorMapper::MatchOverride(
    absl::string_view class_name) const {
  absl::string_view name = class_name;
  absl::ConsumeSuffix(&name, kRemoteSuffix);
  for (const Override& rule : overrides_) {
    bool match = false;
    switch (rule.kind) {
      case Override::Kind::kExact:
        match = name == rule.name;
        break;
      case Override::Kind::kSuffix:
        match = absl::EndsWith(name, rule.name);
        break;
      case Override::Kind::kPrefix:
        match = absl::StartsWith(name, rule.name);
        break;
    }
    if (match) return rule.code;
  }
  return std::nullopt;
}

absl::StatusCode ErrorMapper::CodeForFailureClass(
    absl::string_view class_name) const {
  return MatchOverride(class_name)
      .value_or(oslo::StatusCodeForFailureClass(class_name));
}

absl::StatusCode ErrorMapper::CodeForFailure(
    const oslo::Failure& failure) const {
  return MatchOverride(failure.class_name)
      .value_or(oslo::StatusCodeForFailure(failure));
}

grpc::Status ErrorMapper::ToGrpc(const absl::Status& status) const {
  if (status.ok()) return grpc::Status::OK;
  if (std::optional<oslo::Failure> failure = oslo::FailureFromStatus(status)) {
    std::string message = BoundedUtf8(failure->message, kMaxMessageWireBytes);
    if (include_tracebacks_ && !failure->traceback.empty()) {
      absl::StrAppend(&message, "\n\n", TracebackTail(failure->traceback));
    }
    return MakeGrpcStatus(CodeForFailure(*failure), message,
                          BoundedUtf8(failure->class_name, 256),
                          BoundedUtf8(failure->module, 256));
  }
  absl::StatusCode code = status.code();
  if (static_cast<int>(code) < 0 || static_cast<int>(code) > kLastGrpcCode) {
    code = absl::StatusCode::kUnknown;
  }
  const auto reason = status.GetPayload(rpc::kErrorReasonPayloadUrl);
  return MakeGrpcStatus(
      code, BoundedUtf8(status.message(), kMaxMessageWireBytes),
      reason ? BoundedUtf8(std::string(*reason), 256) : GrpcCodeName(code),
      kBridgeErrorDomain);
}

}  // namespace amqp::gateway
