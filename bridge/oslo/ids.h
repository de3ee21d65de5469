// Random identifiers in the forms oslo.messaging uses: uuid4().hex for
// _msg_id, _unique_id and queue-name suffixes, str(uuid4()) for notification
// message_id and request ids.

#ifndef BRIDGE_OSLO_IDS_H_
#define BRIDGE_OSLO_IDS_H_

#include <string>

namespace amqp::oslo {

// 32 lowercase hex digits of a random version-4 UUID (uuid.uuid4().hex).
// Thread-safe and lock-free: each thread has its own generator.
std::string NewUuid4Hex();

// The dashed form, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (str(uuid.uuid4())).
std::string NewUuid4();

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_IDS_H_
