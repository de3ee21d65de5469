// The runtime side of generated endpoints (protoc-gen-amqp's
// <Service>Endpoint): an O(1) table from oslo method names to the typed
// methods, and the one function that turns oslo args into the request
// message, runs the method and turns the response into the oslo result.

#ifndef BRIDGE_STUBS_ENDPOINT_SUPPORT_H_
#define BRIDGE_STUBS_ENDPOINT_SUPPORT_H_

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>
#include <rapidjson/document.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/rpc/call_context.h"
#include "bridge/stubs/grpc_status.h"
#include "bridge/stubs/method_info.h"

namespace amqp::stubs {

// Runs one method through the type-erased parts: `run` sees the decoded
// request and fills the response. Bad arguments become INVALID_ARGUMENT (a
// Python client sees an oslo failure naming the field).
absl::StatusOr<std::string> InvokeErased(
    const MethodInfo& info, const rapidjson::Value& args,
    google::protobuf::Message* request, google::protobuf::Message* response,
    const std::function<grpc::Status()>& run);

// The parts of a generated endpoint method's type:
// grpc::Status (Endpoint::*)(rpc::CallContext&, const Request&, Response*).
template <typename T>
struct MethodTraits;
template <typename E, typename Req, typename Resp>
struct MethodTraits<grpc::Status (E::*)(rpc::CallContext&, const Req&, Resp*)> {
  using Endpoint = E;
  using Request = Req;
  using Response = Resp;
};

// The invoker of one generated endpoint method, as a plain function (an
// entry of DispatchTable): decodes, calls the (virtual) method, encodes.
template <auto kMethod, const MethodInfo& kInfo>
absl::StatusOr<std::string> Invoke(
    typename MethodTraits<decltype(kMethod)>::Endpoint& endpoint,
    rpc::CallContext& context, const rapidjson::Value& args) {
  using Traits = MethodTraits<decltype(kMethod)>;
  typename Traits::Request request;
  typename Traits::Response response;
  return InvokeErased(kInfo, args, &request, &response, [&] {
    return (endpoint.*kMethod)(context, request, &response);
  });
}

// oslo method name -> invoker of a generated endpoint, looked up in O(1).
template <typename Endpoint>
class DispatchTable {
 public:
  using Invoker = absl::StatusOr<std::string> (*)(Endpoint&, rpc::CallContext&,
                                                  const rapidjson::Value&);

  DispatchTable(
      std::initializer_list<std::pair<const absl::string_view, Invoker>>
          entries)
      : invokers_(entries) {}

  // Null when the endpoint has no such method.
  Invoker Find(absl::string_view oslo_name) const {
    auto it = invokers_.find(oslo_name);
    return it == invokers_.end() ? nullptr : it->second;
  }

 private:
  const absl::flat_hash_map<absl::string_view, Invoker> invokers_;
};

}  // namespace amqp::stubs

#endif  // BRIDGE_STUBS_ENDPOINT_SUPPORT_H_
