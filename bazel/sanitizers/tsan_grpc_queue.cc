// ThreadSanitizer annotations for Debian's libgrpc, which is not built with
// -fsanitize=thread. An asynchronous operation starts on one thread
// (grpc_call_start_batch, or a server's request for the next call) and
// completes on the thread that takes its tag from a completion queue;
// gRPC's C++ layer hands the operation's state (its CallOpSet, filled in
// the caller's inlined code) from the one to the other through that tag.
// The queue orders the two inside the library, where TSan cannot see it, so
// the bridge's completion-queue threads (bridge/gateway/server_queues.h)
// would look like data races on gRPC's own objects.
//
// Linked as tsan_absl_sync.cc is: the tag is released when its operation
// starts and acquired when a queue hands it out. Annotations only.

#include <grpc/grpc.h>

#include "bazel/sanitizers/tsan_real.h"

namespace {

grpc_event Acquired(grpc_event event) {
  if (event.type == GRPC_OP_COMPLETE) __tsan_acquire(event.tag);
  return event;
}

}  // namespace

extern "C" {

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops,
                                      size_t nops, void* tag, void* reserved) {
  REAL(grpc_call_error(*)(grpc_call*, const grpc_op*, size_t, void*, void*),
       "grpc_call_start_batch");
  __tsan_release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_call_error grpc_server_request_call(
    grpc_server* server, grpc_call** call, grpc_call_details* details,
    grpc_metadata_array* request_metadata,
    grpc_completion_queue* cq_bound_to_call,
    grpc_completion_queue* cq_for_notification, void* tag_new) {
  REAL(grpc_call_error(*)(grpc_server*, grpc_call**, grpc_call_details*,
                          grpc_metadata_array*, grpc_completion_queue*,
                          grpc_completion_queue*, void*),
       "grpc_server_request_call");
  __tsan_release(tag_new);
  return real(server, call, details, request_metadata, cq_bound_to_call,
              cq_for_notification, tag_new);
}

grpc_call_error grpc_server_request_registered_call(
    grpc_server* server, void* registered_method, grpc_call** call,
    gpr_timespec* deadline, grpc_metadata_array* request_metadata,
    grpc_byte_buffer** optional_payload,
    grpc_completion_queue* cq_bound_to_call,
    grpc_completion_queue* cq_for_notification, void* tag_new) {
  REAL(
      grpc_call_error(*)(grpc_server*, void*, grpc_call**, gpr_timespec*,
                         grpc_metadata_array*, grpc_byte_buffer**,
                         grpc_completion_queue*, grpc_completion_queue*, void*),
      "grpc_server_request_registered_call");
  __tsan_release(tag_new);
  return real(server, registered_method, call, deadline, request_metadata,
              optional_payload, cq_bound_to_call, cq_for_notification, tag_new);
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* cq,
                                      gpr_timespec deadline, void* reserved) {
  REAL(grpc_event(*)(grpc_completion_queue*, gpr_timespec, void*),
       "grpc_completion_queue_next");
  return Acquired(real(cq, deadline, reserved));
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag,
                                       gpr_timespec deadline, void* reserved) {
  REAL(grpc_event(*)(grpc_completion_queue*, void*, gpr_timespec, void*),
       "grpc_completion_queue_pluck");
  return Acquired(real(cq, tag, deadline, reserved));
}

}  // extern "C"
