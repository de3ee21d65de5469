// What the gateway's reactors need from the oslo RPC client, and nothing
// more: a call, a cast (or fanout cast), a gather, cancelling one of them,
// and a subscription to a topic's fanout casts. The bridge gives them an
// RpcClientAdapter around its rpc::RpcClient; the reactors' unit tests
// (tests/gateway/reactor_test.cc) give them a fake, so deadlines,
// cancellation, error mapping, GATHER windows and max_inflight are tested
// without a broker.
//
// Why an interface here and an adapter, not a base class in bridge/rpc that
// RpcClient implements: the interface belongs to its user (it names what the
// gateway calls, not everything RpcClient offers: blocking calls, metrics,
// reply queues stay off it), rpc must not depend on gateway
// (bazel/layers.bzl), and RpcClient keeps its calls non-virtual for the
// typed clients the generator writes and the benchmarks. The adapter's
// forwarding costs one virtual call per call, nothing beside the broker.
//
//   rpc::RpcClient rpc(options);
//   gateway::RpcClientAdapter oslo(&rpc);
//   env.rpc = &oslo;

#ifndef BRIDGE_GATEWAY_OSLO_CLIENT_H_
#define BRIDGE_GATEWAY_OSLO_CLIENT_H_

#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/target.h"

namespace amqp::gateway {

// The types are RpcClient's: the interface narrows what is called, not what
// is passed. Each method's contract is RpcClient's (rpc/rpc_client.h),
// including which thread runs each callback.
class OsloClient {
 public:
  using CallId = rpc::RpcClient::CallId;
  using CallDone = rpc::RpcClient::CallDone;
  using CastDone = rpc::RpcClient::CastDone;
  using GatherOptions = rpc::RpcClient::GatherOptions;
  using GatherSummary = rpc::RpcClient::GatherSummary;
  using GatherReply = rpc::RpcClient::GatherReply;
  using GatherDone = rpc::RpcClient::GatherDone;
  using Subscription = rpc::RpcClient::Subscription;
  using CastReceived = rpc::RpcClient::CastReceived;

  virtual ~OsloClient() = default;

  // spec.timeout is the reply wait: the gRPC deadline's remaining time.
  virtual CallId CallAsync(const rpc::CallSpec& spec, absl::string_view method,
                           absl::string_view args_json,
                           const rapidjson::Value* context, CallDone done) = 0;
  virtual void CastAsync(const rpc::CallSpec& spec, absl::string_view method,
                         absl::string_view args_json,
                         const rapidjson::Value* context, CastDone done) = 0;
  virtual CallId GatherAsync(const rpc::CallSpec& spec,
                             absl::string_view method,
                             absl::string_view args_json,
                             const rapidjson::Value* context,
                             const GatherOptions& options, GatherReply on_reply,
                             GatherDone done) = 0;
  // Gives up on a call or gather (its `done` runs with CANCELLED unless it
  // already finished).
  virtual void Cancel(const CallId& id) = 0;
  virtual std::unique_ptr<Subscription> Subscribe(
      const rpc::Target& target, CastReceived on_cast,
      std::function<void(absl::Status)> ready) = 0;
};

// The bridge's OsloClient: forwards to an rpc::RpcClient.
class RpcClientAdapter : public OsloClient {
 public:
  // `rpc` outlives the adapter.
  explicit RpcClientAdapter(rpc::RpcClient* rpc) : rpc_(rpc) {}

  CallId CallAsync(const rpc::CallSpec& spec, absl::string_view method,
                   absl::string_view args_json, const rapidjson::Value* context,
                   CallDone done) override;
  void CastAsync(const rpc::CallSpec& spec, absl::string_view method,
                 absl::string_view args_json, const rapidjson::Value* context,
                 CastDone done) override;
  CallId GatherAsync(const rpc::CallSpec& spec, absl::string_view method,
                     absl::string_view args_json,
                     const rapidjson::Value* context,
                     const GatherOptions& options, GatherReply on_reply,
                     GatherDone done) override;
  void Cancel(const CallId& id) override;
  std::unique_ptr<Subscription> Subscribe(
      const rpc::Target& target, CastReceived on_cast,
      std::function<void(absl::Status)> ready) override;

 private:
  rpc::RpcClient* const rpc_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_OSLO_CLIENT_H_
