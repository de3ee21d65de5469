// rabbitmq-c's results as absl::Status: library return codes, the replies of
// synchronous methods, and the reply codes of a broker's close, mapped to
// the closest status code with a message that names what was being done.

#ifndef BRIDGE_TRANSPORT_AMQP_STATUS_H_
#define BRIDGE_TRANSPORT_AMQP_STATUS_H_

#include <amqp.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace amqp::transport {

// The status code closest to a broker's close reply code (403, 404...).
absl::StatusCode CodeForReply(uint16_t reply_code);

// A synchronous method's reply; `what` names the method.
absl::Status ReplyToStatus(const amqp_rpc_reply_t& reply,
                           absl::string_view what);

// A library call's result: OK when `code` >= 0, else UNAVAILABLE with
// rabbitmq-c's text; `what` names the call.
absl::Status LibraryStatus(int code, absl::string_view what);

}  // namespace amqp::transport

#endif  // BRIDGE_TRANSPORT_AMQP_STATUS_H_
