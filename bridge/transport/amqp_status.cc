#include "bridge/transport/amqp_status.h"

#include <amqp_framing.h>

#include "absl/strings/str_cat.h"

namespace amqp::transport {
namespace {

absl::string_view Text(amqp_bytes_t bytes) {
  return absl::string_view(static_cast<const char*>(bytes.bytes), bytes.len);
}

}  // namespace

absl::StatusCode CodeForReply(uint16_t reply_code) {
  switch (reply_code) {
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kResourceExhausted;  // RESOURCE_LOCKED
    case 406:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

absl::Status ReplyToStatus(const amqp_rpc_reply_t& reply,
                           absl::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return absl::OkStatus();
    case AMQP_RESPONSE_NONE:
      return absl::UnavailableError(
          absl::StrCat(what, ": no reply from the broker"));
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return absl::UnavailableError(
          absl::StrCat(what, ": ", amqp_error_string2(reply.library_error)));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* close = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
    return absl::Status(
        CodeForReply(close->reply_code),
        absl::StrCat(what, ": broker closed the connection: ",
                     close->reply_code, " ", Text(close->reply_text)));
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
    return absl::Status(
        CodeForReply(close->reply_code),
        absl::StrCat(what, ": broker closed the channel: ", close->reply_code,
                     " ", Text(close->reply_text)));
  }
  return absl::UnavailableError(
      absl::StrCat(what, ": unexpected broker method ", reply.reply.id));
}

absl::Status LibraryStatus(int code, absl::string_view what) {
  if (code >= 0) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(what, ": ", amqp_error_string2(code)));
}

}  // namespace amqp::transport
