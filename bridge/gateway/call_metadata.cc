#include "bridge/gateway/call_metadata.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/ids.h"

namespace amqp::gateway {
namespace {

absl::string_view View(const grpc::string_ref& s) {
  return absl::string_view(s.data(), s.size());
}

rapidjson::Value JsonString(absl::string_view s,
                            oslo::JsonDocument::AllocatorType& allocator) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()),
                          allocator);
}

absl::Status HeaderError(absl::string_view header, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(header, ": ", what));
}

// A caller's value for an error message: escaped and shortened.
std::string Quoted(absl::string_view value) {
  constexpr size_t kShown = 64;
  return absl::StrCat("'", absl::CHexEscape(value.substr(0, kShown)),
                      value.size() > kShown ? "...'" : "'");
}

// Printable ASCII, no space: what may follow "topic." in a routing key.
bool IsVisibleAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c > ' ' && c < 0x7f; });
}

// Printable ASCII, spaces allowed: a valid gRPC header value.
bool IsPrintableAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= ' ' && c < 0x7f; });
}

// A plain decimal from 1 to `max`: no sign, space or exponent.
absl::StatusOr<int64_t> ParsePositive(absl::string_view header,
                                      absl::string_view value, int64_t max) {
  int64_t number = 0;
  const bool digits =
      !value.empty() && value.size() <= 18 &&
      std::all_of(value.begin(), value.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(value, &number) || number < 1 ||
      number > max) {
    return HeaderError(
        header,
        absl::StrCat(Quoted(value), " is not a whole number from 1 to ", max));
  }
  return number;
}

// A server name or publisher id: 1 to kMaxServerBytes visible characters.
absl::StatusOr<std::string> ParseName(absl::string_view header,
                                      absl::string_view what,
                                      absl::string_view value) {
  if (value.empty() || value.size() > kMaxServerBytes ||
      !IsVisibleAscii(value)) {
    return HeaderError(
        header, absl::StrCat(Quoted(value), " is not ", what, ": 1 to ",
                             kMaxServerBytes,
                             " printable ASCII characters without spaces"));
  }
  return std::string(value);
}

// The headers of interest, as found; each at most once.
struct RawHeaders {
  std::optional<absl::string_view> context;
  std::optional<absl::string_view> request_id;
  std::optional<absl::string_view> server;
  std::optional<absl::string_view> gather_window;
  std::optional<absl::string_view> expect;
  std::optional<absl::string_view> publisher_id;
  std::optional<absl::string_view> call_monitor;
  // x-oslo-context-<key>: (context key, header name, value), header order.
  struct ContextKey {
    std::string key;
    absl::string_view header;
    absl::string_view value;
  };
  std::vector<ContextKey> context_keys;
};

absl::StatusOr<RawHeaders> CollectHeaders(const ClientMetadata& metadata) {
  RawHeaders raw;
  absl::flat_hash_map<std::string, absl::string_view> context_key_headers;
  for (const auto& [key_ref, value_ref] : metadata) {
    const absl::string_view header = View(key_ref);
    const absl::string_view value = View(value_ref);
    if (absl::EndsWith(header, "-bin")) continue;

    std::optional<absl::string_view>* slot = nullptr;
    if (header == kOsloContextHeader) {
      slot = &raw.context;
    } else if (header == kRequestIdHeader) {
      slot = &raw.request_id;
    } else if (header == kServerHeader) {
      slot = &raw.server;
    } else if (header == kGatherWindowHeader) {
      slot = &raw.gather_window;
    } else if (header == kExpectHeader) {
      slot = &raw.expect;
    } else if (header == kPublisherIdHeader) {
      slot = &raw.publisher_id;
    } else if (header == kCallMonitorHeader) {
      slot = &raw.call_monitor;
    } else if (absl::StartsWith(header, kOsloContextKeyPrefix)) {
      std::string key = absl::StrReplaceAll(
          header.substr(sizeof(kOsloContextKeyPrefix) - 1), {{"-", "_"}});
      if (key.empty()) return HeaderError(header, "names no context key");
      auto [it, inserted] = context_key_headers.try_emplace(key, header);
      if (!inserted) {
        return HeaderError(
            header, it->second == header
                        ? std::string("given more than once")
                        : absl::StrCat("sets context key '", key, "' like ",
                                       it->second, " does"));
      }
      raw.context_keys.push_back({std::move(key), header, value});
      continue;
    } else if (absl::StartsWith(header, "x-amqp-")) {
      return HeaderError(
          header,
          absl::StrCat("unknown header; the bridge reads ", kServerHeader, ", ",
                       kGatherWindowHeader, ", ", kExpectHeader, ", ",
                       kCallMonitorHeader, " and ", kPublisherIdHeader));
    } else {
      continue;
    }
    if (slot->has_value()) return HeaderError(header, "given more than once");
    *slot = value;
  }
  return raw;
}

// Fills `context` from x-oslo-context and the x-oslo-context-<key> headers;
// `index` maps each member name to its position.
absl::Status BuildContext(
    const RawHeaders& raw, oslo::JsonDocument* context,
    absl::flat_hash_map<std::string, rapidjson::SizeType>* index,
    absl::string_view* request_id_source) {
  auto& allocator = context->GetAllocator();
  auto set_member = [&](rapidjson::Value name, rapidjson::Value value) {
    std::string key(name.GetString(), name.GetStringLength());
    auto [it, inserted] = index->try_emplace(std::move(key), 0);
    if (inserted) {
      it->second = context->MemberCount();
      context->AddMember(std::move(name), std::move(value), allocator);
    } else {
      (context->MemberBegin() + it->second)->value = std::move(value);
    }
  };

  if (raw.context.has_value()) {
    const absl::string_view text = *raw.context;
    if (text.size() > kMaxContextBytes) {
      return HeaderError(
          kOsloContextHeader,
          absl::StrCat("is ", text.size(), " bytes; the limit is ",
                       kMaxContextBytes));
    }
    // Parsed with the context's allocator, so its members move over.
    oslo::JsonDocument parsed(&allocator);
    if (absl::Status s = oslo::ParseJson(text, &parsed, kMaxContextDepth);
        !s.ok()) {
      return HeaderError(kOsloContextHeader, s.message());
    }
    if (!parsed.IsObject()) {
      return HeaderError(kOsloContextHeader,
                         absl::StrCat("must be a JSON object, not ",
                                      oslo::JsonTypeName(parsed)));
    }
    for (auto& member : parsed.GetObject()) {
      set_member(std::move(member.name), std::move(member.value));
    }
  }
  for (const RawHeaders::ContextKey& entry : raw.context_keys) {
    set_member(JsonString(entry.key, allocator),
               JsonString(entry.value, allocator));
    if (entry.key == "request_id") *request_id_source = entry.header;
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(absl::string_view source, absl::string_view id) {
  if (id.size() > kMaxRequestIdBytes || !IsPrintableAscii(id)) {
    return HeaderError(
        source, absl::StrCat("request_id ", Quoted(id),
                             " is not printable ASCII of at most ",
                             kMaxRequestIdBytes, " bytes (it is returned in ",
                             kResponseRequestIdHeader, ")"));
  }
  return absl::OkStatus();
}

// Picks request_id as the header comment says and stores it in both places.
absl::Status SetRequestId(
    const RawHeaders& raw,
    const absl::flat_hash_map<std::string, rapidjson::SizeType>& index,
    absl::string_view source, CallMetadata* call) {
  rapidjson::Value* member = nullptr;
  if (auto it = index.find("request_id"); it != index.end()) {
    member = &(call->context.MemberBegin() + it->second)->value;
    if (member->IsString() && member->GetStringLength() > 0) {
      const absl::string_view id(member->GetString(),
                                 member->GetStringLength());
      if (absl::Status s = CheckRequestId(source, id); !s.ok()) return s;
      call->request_id = std::string(id);
      return absl::OkStatus();
    }
    // oslo.context treats a false-y request_id as none given.
    if (!member->IsNull() && !member->IsString()) {
      return HeaderError(source,
                         absl::StrCat("request_id must be a string, not ",
                                      oslo::JsonTypeName(*member)));
    }
  }
  if (raw.request_id.has_value() && !raw.request_id->empty()) {
    if (absl::Status s = CheckRequestId(kRequestIdHeader, *raw.request_id);
        !s.ok()) {
      return s;
    }
    call->request_id = std::string(*raw.request_id);
  } else {
    call->request_id = absl::StrCat("req-", oslo::NewUuid4());
  }
  auto& allocator = call->context.GetAllocator();
  rapidjson::Value id = JsonString(call->request_id, allocator);
  if (member != nullptr) {
    *member = std::move(id);
  } else {
    call->context.AddMember("request_id", std::move(id), allocator);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CallMetadata> ParseCallMetadata(const ClientMetadata& metadata) {
  absl::StatusOr<RawHeaders> raw = CollectHeaders(metadata);
  if (!raw.ok()) return raw.status();

  CallMetadata call;
  absl::flat_hash_map<std::string, rapidjson::SizeType> index;
  absl::string_view request_id_source = kOsloContextHeader;
  if (absl::Status s =
          BuildContext(*raw, &call.context, &index, &request_id_source);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SetRequestId(*raw, index, request_id_source, &call);
      !s.ok()) {
    return s;
  }

  if (raw->server.has_value()) {
    absl::StatusOr<std::string> server =
        ParseName(kServerHeader, "a server name", *raw->server);
    if (!server.ok()) return server.status();
    call.server = *std::move(server);
  }
  if (raw->publisher_id.has_value()) {
    absl::StatusOr<std::string> publisher_id =
        ParseName(kPublisherIdHeader, "a publisher id", *raw->publisher_id);
    if (!publisher_id.ok()) return publisher_id.status();
    call.publisher_id = *std::move(publisher_id);
  }
  if (raw->gather_window.has_value()) {
    absl::StatusOr<int64_t> ms = ParsePositive(
        kGatherWindowHeader, *raw->gather_window, kMaxGatherWindowMs);
    if (!ms.ok()) return ms.status();
    call.gather_window = absl::Milliseconds(*ms);
  }
  if (raw->expect.has_value()) {
    absl::StatusOr<int64_t> expect =
        ParsePositive(kExpectHeader, *raw->expect, kMaxExpect);
    if (!expect.ok()) return expect.status();
    call.expect = static_cast<int>(*expect);
  }
  if (raw->call_monitor.has_value()) {
    absl::StatusOr<int64_t> ms = ParsePositive(
        kCallMonitorHeader, *raw->call_monitor, kMaxCallMonitorMs);
    if (!ms.ok()) return ms.status();
    call.call_monitor = absl::Milliseconds(*ms);
  }
  return call;
}

}  // namespace amqp::gateway
