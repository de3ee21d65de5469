// oslo's context packing (_drivers/amqp.py pack_context / unpack_context):
// each member k of the request context travels as a top-level `_context_k`
// member of the message, in requests and notifications alike.

#ifndef BRIDGE_OSLO_CONTEXT_H_
#define BRIDGE_OSLO_CONTEXT_H_

#include <rapidjson/document.h>

#include "absl/strings/string_view.h"
#include "bridge/oslo/json.h"

namespace amqp::oslo {

inline constexpr absl::string_view kContextPrefix = "_context_";

// Writes each member of `context` (an object; null or anything else writes
// nothing) as a `_context_<key>` member of the object being written.
void WritePackedContext(const rapidjson::Value* context, PyJsonWriter* writer);

// When `key` is a packed context key, adds `value` to `*context` (an object)
// under the key without its prefix and returns true. The name is referenced,
// not copied: `key` must outlive `*context`, as the parsed body does.
bool UnpackContextMember(absl::string_view key, const rapidjson::Value& value,
                         rapidjson::Value* context,
                         rapidjson::MemoryPoolAllocator<>& allocator);

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_CONTEXT_H_
