// One server-streaming gRPC call through the bridge, or one the bridge
// refuses, as the handler of a GenericStream: reads the request, turns it into
// an oslo gather or subscription on the gateway's OsloClient, and streams what
// comes back (unary methods take UnaryCall's shorter path). No thread
// waits for the broker: every step is a callback. Its stream deletes it
// when gRPC is done with the call.
//
// Errors follow the design: an unknown method or a client-streaming one is
// UNIMPLEMENTED, bad request bytes or metadata INVALID_ARGUMENT, an expired
// deadline DEADLINE_EXCEEDED, no listener or no broker UNAVAILABLE, and oslo
// failures what the ErrorMapper says.

#ifndef BRIDGE_GATEWAY_BRIDGE_CALL_H_
#define BRIDGE_GATEWAY_BRIDGE_CALL_H_

#include <grpcpp/support/byte_buffer.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/gateway/call_steps.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/generic_stream.h"
#include "bridge/gateway/oslo_client.h"
#include "bridge/gateway/route_table.h"

namespace amqp::gateway {

class BridgeCall : public GenericStream::Handler {
 public:
  // Starts the call; `env` and `stream` outlive it.
  BridgeCall(const GatewayEnv& env, GenericStream* stream);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;

 private:
  // The deadline of the reply wait: the client's, else rpc_response_timeout.
  absl::Time Deadline() const;
  void StartGather();
  void StartSubscribe();
  // NOTIFICATIONS (bridge_call_notifications.cc).
  void StartNotifications();
  // A subscription's `ready`: ends the call when it failed, else sends the
  // response headers.
  void Subscribed(const absl::Status& ready);
  // Keeps `subscription` in `*slot`, or drops it when the call ended
  // meanwhile.
  template <typename Subscription>
  void Keep(std::unique_ptr<Subscription> subscription,
            std::unique_ptr<Subscription>* slot) {
    std::unique_ptr<Subscription> too_late;
    absl::MutexLock lock(&mu_);
    if (cancelled_ || finished_) {
      too_late = std::move(subscription);  // destroyed after the unlock
    } else {
      *slot = std::move(subscription);
    }
  }

  // The response message for an oslo result; errors become INTERNAL.
  absl::StatusOr<grpc::ByteBuffer> Response(const oslo::Reply& reply);
  // Queues one stream message; writes go out one at a time, in order. With
  // a `limit`, false (and nothing queued) when `limit` messages wait
  // already: the waiting ones but the one being written are dropped.
  bool Send(grpc::ByteBuffer message, size_t limit = 0);
  // Finishes once queued messages are written. Only the first call counts.
  void FinishWhenFlushed(const absl::Status& status);
  // Ends the call's bookkeeping (EndCall), then finishes the stream.
  void EndAndFinish(const grpc::Status& status);

  const GatewayEnv& env_;
  GenericStream* const stream_;
  grpc::GenericServerContext* const context_;
  const Route* route_ = nullptr;
  const absl::Time started_ = absl::Now();
  grpc::ByteBuffer request_bytes_;  // what the read fills
  CallRequest request_;

  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> writes_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // The RPC client's id of the call or gather in flight, for cancellation.
  std::string call_id_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<OsloClient::Subscription> subscription_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<OsloClient::NotificationSubscription> notifications_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_BRIDGE_CALL_H_
