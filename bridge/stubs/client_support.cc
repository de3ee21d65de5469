#include "bridge/stubs/client_support.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bridge/oslo/json.h"
#include "bridge/oslo/reply.h"
#include "bridge/transcode/transcode.h"

namespace amqp::stubs {
namespace {

absl::StatusOr<std::string> ArgsJson(const MethodInfo& info,
                                     const google::protobuf::Message& request) {
  std::string args;
  oslo::PyJsonWriter writer(&args);
  transcode::ArgsOptions options;
  options.skip_field = info.server_field;
  if (absl::Status s = transcode::WriteArgs(request, options, &writer);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot encode the arguments of '", info.oslo_name,
                     "': ", s.message()));
  }
  return args;
}

}  // namespace

rpc::CallSpec SpecFor(const rpc::CallSpec& spec, const MethodInfo& info,
                      absl::string_view server) {
  rpc::CallSpec method_spec = spec;
  // A method declared with its own version needs at least that version.
  if (!info.version.empty()) {
    method_spec.target.version = std::string(info.version);
  }
  if (!info.fallback_version.empty()) {
    method_spec.fallback_version = std::string(info.fallback_version);
  }
  if (!server.empty()) method_spec.target.server = std::string(server);
  method_spec.target.fanout = info.fanout;
  return method_spec;
}

void CallErased(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                const MethodInfo& info,
                const google::protobuf::Message& request,
                absl::string_view server, const rapidjson::Value* context,
                google::protobuf::Message* response,
                std::function<void(absl::Status)> done) {
  absl::StatusOr<std::string> args = ArgsJson(info, request);
  if (!args.ok()) {
    done(args.status());
    return;
  }
  rpc.CallAsync(
      SpecFor(spec, info, server), info.oslo_name, *args, context,
      [info, response,
       done = std::move(done)](absl::StatusOr<oslo::Reply> reply) {
        if (!reply.ok()) {
          done(reply.status());
          return;
        }
        transcode::ResultStats stats;
        absl::Status status = transcode::ReadResult(
            reply->result(), info.result_field, response, &stats);
        if (!status.ok()) {
          status = absl::InternalError(absl::StrCat(
              "the result of '", info.oslo_name, "' does not fit ",
              response->GetDescriptor()->full_name(), ": ", status.message()));
        }
        done(std::move(status));
      });
}

absl::Status CallSync(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                      const MethodInfo& info,
                      const google::protobuf::Message& request,
                      absl::string_view server, const rapidjson::Value* context,
                      google::protobuf::Message* response) {
  absl::Notification finished;
  absl::Status result;
  CallErased(rpc, spec, info, request, server, context, response,
             [&](absl::Status status) {
               result = std::move(status);
               finished.Notify();
             });
  finished.WaitForNotification();  // the call's own timeout bounds this
  return result;
}

absl::Status Cast(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                  const MethodInfo& info,
                  const google::protobuf::Message& request,
                  absl::string_view server, const rapidjson::Value* context) {
  absl::StatusOr<std::string> args = ArgsJson(info, request);
  if (!args.ok()) return args.status();
  return rpc.Cast(SpecFor(spec, info, server), info.oslo_name, *args, context);
}

}  // namespace amqp::stubs
