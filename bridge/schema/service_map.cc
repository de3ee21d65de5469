#include "bridge/schema/service_map.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "amqp/options.pb.h"
#include "bridge/schema/method_error.h"

namespace amqp::schema {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

constexpr char kEmpty[] = "google.protobuf.Empty";
constexpr char kDefaultVersion[] = "1.0";

// (major, minor, revision) of "major.minor[.revision]", for ordering.
std::vector<int> VersionParts(absl::string_view version) {
  std::vector<int> parts;
  for (absl::string_view part : absl::StrSplit(version, '.')) {
    int number = 0;
    parts.push_back(absl::SimpleAtoi(part, &number) ? number : 0);
  }
  return parts;
}

absl::Status CheckVersion(const MethodDescriptor& method,
                          absl::string_view version) {
  std::vector<absl::string_view> parts = absl::StrSplit(version, '.');
  int number = 0;
  const bool ok = (parts.size() == 2 || parts.size() == 3) &&
                  std::all_of(parts.begin(), parts.end(), [&](auto part) {
                    return absl::SimpleAtoi(part, &number) && number >= 0;
                  });
  if (ok) return absl::OkStatus();
  return MethodError(method,
                     absl::StrCat("version '", version,
                                  "' is not "
                                  "an oslo version"),
                     "write it as \"major.minor\", e.g. \"5.1\"");
}

// Why oslo cannot carry a method whose requests stream.
const char* StreamingRequestProblem(const MethodDescriptor& method) {
  return method.server_streaming()
             ? "bidirectional streaming has no oslo equivalent"
             : "client streaming has no oslo equivalent";
}

absl::StatusOr<MethodMap> MapMethod(const MethodDescriptor& method,
                                    const std::string& service_version) {
  const amqp::MethodOptions& options =
      method.options().GetExtension(amqp::method);
  MethodMap map;
  map.method = &method;
  map.oslo_name =
      options.name().empty() ? SnakeCase(method.name()) : options.name();
  map.version = options.version().empty() ? service_version : options.version();
  if (absl::Status s = CheckVersion(method, map.version); !s.ok()) return s;
  map.fallback_version = options.fallback_version();
  if (!map.fallback_version.empty()) {
    if (absl::Status s = CheckVersion(method, map.fallback_version); !s.ok()) {
      return s;
    }
    const std::vector<int> fallback = VersionParts(map.fallback_version);
    const std::vector<int> version = VersionParts(map.version);
    if (fallback >= version) {
      return MethodError(
          method,
          absl::StrCat("fallback_version ", map.fallback_version,
                       " is not lower than the version ", map.version),
          "give the older version sent when a cap forbids this one, or "
          "remove fallback_version");
    }
  }

  if (method.client_streaming()) {
    return MethodError(method, StreamingRequestProblem(method),
                       "make the request a single message (unary or "
                       "server-streaming)");
  }
  absl::StatusOr<std::optional<NotificationMap>> notification =
      ReadNotificationOptions(method);
  if (!notification.ok()) return notification.status();
  if (notification->has_value()) {
    map.kind = (*notification)->send ? MethodKind::kNotify
                                     : MethodKind::kNotifications;
    map.notification = **std::move(notification);
    return map;
  }
  const bool unary = !method.server_streaming();
  if (unary && options.stream() != amqp::MethodOptions::GATHER) {
    return MethodError(method, "`stream` applies to server-streaming methods",
                       "remove it or declare `returns (stream ...)`");
  }
  if (options.stream() == amqp::MethodOptions::SUBSCRIBE &&
      !options.fallback_version().empty()) {
    return MethodError(method,
                       "a SUBSCRIBE method sends nothing, so it needs no "
                       "fallback_version",
                       "remove fallback_version");
  }
  if (!unary && (options.cast() || options.fanout())) {
    return MethodError(method, "a streaming method cannot be a cast",
                       "remove `cast`/`fanout`; streams use the fanout "
                       "exchange already");
  }
  if (unary) {
    map.kind = options.fanout() ? MethodKind::kFanoutCast
               : options.cast() ? MethodKind::kCast
                                : MethodKind::kCall;
  } else {
    map.kind = options.stream() == amqp::MethodOptions::SUBSCRIBE
                   ? MethodKind::kSubscribe
                   : MethodKind::kGather;
  }
  const bool is_cast =
      map.kind == MethodKind::kCast || map.kind == MethodKind::kFanoutCast;
  if (is_cast && method.output_type()->full_name() != kEmpty) {
    return MethodError(
        method,
        absl::StrCat("a cast returns nothing, but the response is ",
                     method.output_type()->full_name()),
        "return google.protobuf.Empty or remove `cast`/`fanout`");
  }

  if (!options.server_field().empty()) {
    map.server_field =
        method.input_type()->FindFieldByName(options.server_field());
    if (map.server_field == nullptr ||
        map.server_field->type() != FieldDescriptor::TYPE_STRING ||
        map.server_field->is_repeated()) {
      return MethodError(method,
                         absl::StrCat("server_field '", options.server_field(),
                                      "' is not a string field of ",
                                      method.input_type()->full_name()),
                         "name a singular string field of the request");
    }
    if (map.kind == MethodKind::kFanoutCast || !unary) {
      return MethodError(method,
                         "server_field routes to one server, but "
                         "this method goes to every server",
                         "remove server_field or `fanout`");
    }
  }
  if (!options.result_field().empty()) {
    map.result_field =
        method.output_type()->FindFieldByName(options.result_field());
    if (map.result_field == nullptr) {
      return MethodError(method,
                         absl::StrCat("result_field '", options.result_field(),
                                      "' is not a field of ",
                                      method.output_type()->full_name()),
                         "name a field of the response");
    }
  }
  return map;
}

// The message whose fields are the oslo method's arguments: the request,
// but for a SUBSCRIBE, whose events are the casts' arguments, the response.
const google::protobuf::Descriptor& ArgumentsType(const MethodMap& method) {
  return method.kind == MethodKind::kSubscribe ? *method.method->output_type()
                                               : *method.method->input_type();
}

std::string DescribeArguments(const MethodMap& method) {
  return absl::StrCat(
      method.kind == MethodKind::kSubscribe ? "events " : "request ",
      ArgumentsType(method).full_name());
}

// "Compute.B: shares oslo method 'b' with A but ...": the start of the
// errors of methods that disagree on what they share.
std::string Shares(const MethodMap& first, const MethodMap& method) {
  return absl::StrCat("shares oslo method '", method.oslo_name, "' with ",
                      first.method->name(), " but ");
}

// Several gRPC methods may reach one oslo method (docs/mapping.md, "One oslo
// method, several gRPC methods"): the server has one method of that name, so
// they must send it the same arguments at the same major version.
absl::Status CheckSameArguments(const MethodMap& first,
                                const MethodMap& method) {
  const std::string shares = Shares(first, method);
  constexpr char kRename[] = "give one of them another (amqp.method).name";
  if (&ArgumentsType(first) != &ArgumentsType(method)) {
    return MethodError(*method.method,
                       absl::StrCat(shares, "sends other arguments (",
                                    DescribeArguments(method), ", not ",
                                    DescribeArguments(first), ")"),
                       absl::StrCat("use one message for both or ", kRename));
  }
  const int major = VersionParts(method.version)[0];
  const int first_major = VersionParts(first.version)[0];
  if (major != first_major) {
    return MethodError(
        *method.method,
        absl::StrCat(shares, "at version ", method.version, ", not major ",
                     first_major, " (", first.version, ")"),
        absl::StrCat("one oslo method has one major version: change `version` "
                     "or ",
                     kRename));
  }
  return absl::OkStatus();
}

// A call and a GATHER of one oslo method get the same result.
absl::Status CheckSameResult(const MethodMap& first, const MethodMap& method) {
  const auto result = [](const MethodMap& m) {
    return absl::StrCat(
        m.method->output_type()->full_name(),
        m.result_field == nullptr
            ? ""
            : absl::StrCat(" (result_field '", m.result_field->name(), "')"));
  };
  if (result(first) == result(method)) return absl::OkStatus();
  return MethodError(
      *method.method,
      absl::StrCat(Shares(first, method), "returns ", result(method), ", not ",
                   result(first)),
      "return one response type (and result_field) from both or give one of "
      "them another (amqp.method).name");
}

}  // namespace

absl::string_view MethodKindName(MethodKind kind) {
  switch (kind) {
    case MethodKind::kCall:
      return "call";
    case MethodKind::kCast:
      return "cast";
    case MethodKind::kFanoutCast:
      return "fanout";
    case MethodKind::kGather:
      return "gather";
    case MethodKind::kSubscribe:
      return "subscribe";
    case MethodKind::kNotify:
      return "notify";
    case MethodKind::kNotifications:
      return "notifications";
  }
  return "?";
}

bool ReturnsResult(MethodKind kind) {
  return kind == MethodKind::kCall || kind == MethodKind::kGather;
}

std::string SnakeCase(absl::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (absl::ascii_isupper(c) && i > 0) {
      const char prev = name[i - 1];
      const bool next_lower =
          i + 1 < name.size() && absl::ascii_islower(name[i + 1]);
      if (absl::ascii_islower(prev) || absl::ascii_isdigit(prev) ||
          (absl::ascii_isupper(prev) && next_lower)) {
        out.push_back('_');
      }
    }
    out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

bool HasAmqpOptions(const google::protobuf::ServiceDescriptor& service) {
  return service.options().HasExtension(amqp::service);
}

std::string ServiceMap::EndpointVersion() const {
  std::string highest = version;
  for (const MethodMap& method : methods) {
    if (VersionParts(method.version) > VersionParts(highest)) {
      highest = method.version;
    }
  }
  return highest;
}

absl::StatusOr<ServiceMap> MapService(
    const google::protobuf::ServiceDescriptor& service,
    const MapOptions& map_options) {
  const amqp::ServiceOptions& options =
      service.options().GetExtension(amqp::service);
  ServiceMap map;
  map.service = &service;
  map.topic =
      options.topic().empty() ? SnakeCase(service.name()) : options.topic();
  map.exchange = options.exchange();
  map.version = options.version().empty() ? kDefaultVersion : options.version();
  if (!options.namespace_().empty()) map.namespace_ = options.namespace_();

  // Index in map.methods of the first method of each oslo name, and of the
  // first one of each that returns something.
  absl::flat_hash_map<std::string, size_t> first_of_name;
  absl::flat_hash_map<std::string, size_t> first_returning;
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    if (method.client_streaming() && map_options.skip_streaming_requests) {
      map.unsupported.push_back({&method, StreamingRequestProblem(method)});
      continue;
    }
    absl::StatusOr<MethodMap> method_map = MapMethod(method, map.version);
    if (!method_map.ok()) return method_map.status();
    const std::string& name = method_map->oslo_name;
    // Agreeing with the first of the name is agreeing with all of them.
    if (auto it = first_of_name.find(name); it != first_of_name.end()) {
      if (absl::Status s =
              CheckSameArguments(map.methods[it->second], *method_map);
          !s.ok()) {
        return s;
      }
    } else {
      first_of_name.emplace(name, map.methods.size());
    }
    if (ReturnsResult(method_map->kind)) {
      if (auto it = first_returning.find(name); it != first_returning.end()) {
        if (absl::Status s =
                CheckSameResult(map.methods[it->second], *method_map);
            !s.ok()) {
          return s;
        }
      } else {
        first_returning.emplace(name, map.methods.size());
      }
    }
    map.methods.push_back(*std::move(method_map));
  }
  return map;
}

}  // namespace amqp::schema
