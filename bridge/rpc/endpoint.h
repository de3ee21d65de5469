// An oslo endpoint: a set of RPC methods with one target namespace and
// version. Generated stubs implement it; FunctionEndpoint builds one from
// lambdas (tools and tests); AsyncEndpoint is the base of endpoints whose
// methods finish later, on another thread (the reverse direction's gRPC
// backend calls).

#ifndef BRIDGE_RPC_ENDPOINT_H_
#define BRIDGE_RPC_ENDPOINT_H_

#include <rapidjson/document.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/rpc/call_context.h"

namespace amqp::rpc {

// Receives a method's result: JSON text, or a status that becomes an oslo
// failure. Runs exactly once.
using ResultCallback = absl::AnyInvocable<void(absl::StatusOr<std::string>)>;

class AsyncEndpoint;

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // oslo's endpoint Target: namespace (nullopt = the default namespace) and
  // "major.minor[.rev]" version.
  virtual std::optional<std::string> target_namespace() const {
    return std::nullopt;
  }
  virtual std::string target_version() const { return "1.0"; }
  virtual bool HasMethod(absl::string_view method) const = 0;
  // Runs `method`; the result is JSON text ("null" for None). A non-OK status
  // becomes an oslo failure (see oslo::FailureFromStatusOrDefault).
  virtual absl::StatusOr<std::string> Invoke(absl::string_view method,
                                             CallContext& context,
                                             const rapidjson::Value& args) = 0;
  // Non-null for an endpoint whose methods run asynchronously: RpcServer
  // starts them on its I/O thread instead of handing them to a worker.
  virtual AsyncEndpoint* AsAsync() { return nullptr; }
};

// An endpoint whose methods start without blocking and finish later, on
// another thread (a gRPC call, say): it implements InvokeAsync.
class AsyncEndpoint : public Endpoint {
 public:
  // Starts `method` and returns; `done` gets its result later, on any
  // thread, or before InvokeAsync returns. It must run exactly once (give
  // the work a deadline): RpcServer::Stop() waits for it. `context` and
  // `args` are valid only until InvokeAsync returns.
  virtual void InvokeAsync(absl::string_view method, CallContext& context,
                           const rapidjson::Value& args,
                           ResultCallback done) = 0;
  AsyncEndpoint* AsAsync() final { return this; }
  // Waits for InvokeAsync's result, for callers that want it where they are.
  absl::StatusOr<std::string> Invoke(absl::string_view method,
                                     CallContext& context,
                                     const rapidjson::Value& args) final;
};

// An endpoint whose methods are functions, looked up by name in O(1).
class FunctionEndpoint : public Endpoint {
 public:
  using Method = std::function<absl::StatusOr<std::string>(
      CallContext&, const rapidjson::Value& args)>;

  explicit FunctionEndpoint(
      std::string version = "1.0",
      std::optional<std::string> namespace_ = std::nullopt)
      : version_(std::move(version)), namespace_(std::move(namespace_)) {}

  FunctionEndpoint& Add(std::string name, Method method) {
    methods_[std::move(name)] = std::move(method);
    return *this;
  }
  // Answers every method that has no function of its own.
  FunctionEndpoint& SetFallback(Method method) {
    fallback_ = std::move(method);
    return *this;
  }

  std::optional<std::string> target_namespace() const override {
    return namespace_;
  }
  std::string target_version() const override { return version_; }
  bool HasMethod(absl::string_view method) const override {
    return fallback_ != nullptr || methods_.contains(method);
  }
  absl::StatusOr<std::string> Invoke(absl::string_view method,
                                     CallContext& context,
                                     const rapidjson::Value& args) override {
    auto it = methods_.find(method);
    return it != methods_.end() ? it->second(context, args)
                                : fallback_(context, args);
  }

 private:
  const std::string version_;
  const std::optional<std::string> namespace_;
  absl::flat_hash_map<std::string, Method> methods_;
  Method fallback_;
};

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_ENDPOINT_H_
