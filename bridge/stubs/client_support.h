// The runtime side of generated typed clients (protoc-gen-amqp's
// <Service>Client): request message -> oslo args, the call or cast on the
// RPC client, and the oslo result -> response message.

#ifndef BRIDGE_STUBS_CLIENT_SUPPORT_H_
#define BRIDGE_STUBS_CLIENT_SUPPORT_H_

#include <google/protobuf/message.h>
#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/stubs/method_info.h"

namespace amqp::stubs {

// The spec one call uses: the method's version and fallback version, and
// `server` (the value of its server_field) when not empty.
rpc::CallSpec SpecFor(const rpc::CallSpec& spec, const MethodInfo& info,
                      absl::string_view server);

// Starts an oslo call; `done` gets the result decoded into `*response`, which
// must stay alive until then.
void CallErased(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                const MethodInfo& info,
                const google::protobuf::Message& request,
                absl::string_view server, const rapidjson::Value* context,
                google::protobuf::Message* response,
                std::function<void(absl::Status)> done);

// A cast (fanout when info.fanout), confirmed by the broker.
absl::Status Cast(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                  const MethodInfo& info,
                  const google::protobuf::Message& request,
                  absl::string_view server, const rapidjson::Value* context);

template <typename Response>
void CallAsync(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
               const MethodInfo& info, const google::protobuf::Message& request,
               absl::string_view server, const rapidjson::Value* context,
               std::function<void(absl::StatusOr<Response>)> done) {
  auto response = std::make_shared<Response>();
  CallErased(rpc, spec, info, request, server, context, response.get(),
             [response, done = std::move(done)](absl::Status status) {
               if (status.ok()) {
                 done(std::move(*response));
               } else {
                 done(std::move(status));
               }
             });
}

// Blocking call.
absl::Status CallSync(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                      const MethodInfo& info,
                      const google::protobuf::Message& request,
                      absl::string_view server, const rapidjson::Value* context,
                      google::protobuf::Message* response);

template <typename Response>
absl::StatusOr<Response> Call(rpc::RpcClient& rpc, const rpc::CallSpec& spec,
                              const MethodInfo& info,
                              const google::protobuf::Message& request,
                              absl::string_view server,
                              const rapidjson::Value* context) {
  Response response;
  absl::Status status =
      CallSync(rpc, spec, info, request, server, context, &response);
  if (!status.ok()) return status;
  return response;
}

}  // namespace amqp::stubs

#endif  // BRIDGE_STUBS_CLIENT_SUPPORT_H_
