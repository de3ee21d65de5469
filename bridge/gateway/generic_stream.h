// Generic gRPC calls (any method, messages as bytes) on the bridge's
// completion queues, with the callback API's shape: a Handler starts reads
// and writes on its GenericStream and reacts to their completion, and the
// stream deletes the handler once gRPC is done with the call. Server streams
// (BridgeCall), the methods the bridge refuses, reflection and health run on
// it; unary methods take UnaryCall's shorter path.
//
//   GenericStreamService generic(&queues);
//   generic.AddMethod("/grpc.health.v1.Health/Check", check_factory);
//   generic.SetFallback(bridge_call_factory);  // every other method
//   builder.RegisterAsyncGenericService(generic.service());
//   ... BuildAndStart ...
//   generic.Arm();

#ifndef BRIDGE_GATEWAY_GENERIC_STREAM_H_
#define BRIDGE_GATEWAY_GENERIC_STREAM_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/support/byte_buffer.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "bridge/gateway/server_queues.h"

namespace amqp::gateway {

class GenericStreamService;

// One generic call. Its operations may start from any thread, one read and
// one write at a time, as with a callback reactor; the handler's reactions
// run on the call's queue thread.
class GenericStream {
 public:
  // What reacts to one call's events; owned by its stream.
  class Handler {
   public:
    virtual ~Handler() = default;
    // The read finished: `ok` false when the client half-closed or the call
    // is gone.
    virtual void OnReadDone(bool ok) {}
    // The write finished: `ok` false when the call is gone.
    virtual void OnWriteDone(bool ok) {}
    // The client cancelled, or the call broke; at most once. The handler
    // must still Finish().
    virtual void OnCancel() {}
  };
  // Makes the handler of a call that arrived; it may start operations.
  using HandlerFactory =
      std::function<std::unique_ptr<Handler>(GenericStream* stream)>;

  GenericStream(const GenericStream&) = delete;
  GenericStream& operator=(const GenericStream&) = delete;

  grpc::GenericServerContext* context() { return &context_; }

  void StartRead(grpc::ByteBuffer* message);
  void StartWrite(const grpc::ByteBuffer* message);
  void StartSendInitialMetadata();
  // Ends the call with `status` (once). The handler is deleted after this
  // and every operation in flight completed.
  void Finish(const grpc::Status& status);

 private:
  friend class GenericStreamService;
  GenericStream(GenericStreamService* service, int queue);
  ~GenericStream();

  void Arrived(bool ok);
  void ReadDone(bool ok);
  void WriteDone(bool ok);
  void MetadataDone(bool ok);
  void FinishDone(bool ok);
  void CallDone(bool ok);
  // One operation completed; deletes the stream when it was the last.
  void OperationEnded();

  GenericStreamService* const service_;
  const int queue_;  // its index in the service's ServerQueues
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_{&context_};
  std::unique_ptr<Handler> handler_;

  MemberTag<GenericStream, &GenericStream::Arrived> arrived_tag_{this};
  MemberTag<GenericStream, &GenericStream::ReadDone> read_tag_{this};
  MemberTag<GenericStream, &GenericStream::WriteDone> write_tag_{this};
  MemberTag<GenericStream, &GenericStream::MetadataDone> metadata_tag_{this};
  MemberTag<GenericStream, &GenericStream::FinishDone> finish_tag_{this};
  MemberTag<GenericStream, &GenericStream::CallDone> done_tag_{this};

  absl::Mutex mu_;
  // Operations started and not yet completed, the call's end (done_tag_)
  // counted as one until it comes.
  int operations_ ABSL_GUARDED_BY(mu_) = 0;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
};

// The generic service: hands each call to the factory of its method, or to
// the fallback's.
class GenericStreamService {
 public:
  // `queues` outlives the service.
  explicit GenericStreamService(ServerQueues* queues);
  GenericStreamService(const GenericStreamService&) = delete;
  GenericStreamService& operator=(const GenericStreamService&) = delete;

  // `path` is "/package.Service/Method". Before Arm().
  void AddMethod(std::string path, GenericStream::HandlerFactory factory);
  // The factory for every other method; without one they end UNIMPLEMENTED.
  void SetFallback(GenericStream::HandlerFactory factory);

  grpc::AsyncGenericService* service() { return &service_; }
  // After BuildAndStart(): waits for calls on every queue.
  void Arm();

 private:
  friend class GenericStream;
  // Waits for the next call on queue `queue`.
  void Request(int queue);
  std::unique_ptr<GenericStream::Handler> NewHandler(GenericStream* stream);

  ServerQueues* const queues_;
  grpc::AsyncGenericService service_;
  absl::flat_hash_map<std::string, GenericStream::HandlerFactory> methods_;
  GenericStream::HandlerFactory fallback_;
};

}  // namespace amqp::gateway

#endif  // BRIDGE_GATEWAY_GENERIC_STREAM_H_
