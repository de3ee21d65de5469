// What the transcoder needs to know about a message marked with
// (amqp.object) (an oslo.versionedobjects object, docs/mapping.md): its
// primitive's keys and values, worked out once per message type and kept.
// A message with no options at all costs one pointer comparison, so plain
// messages pay nothing measurable for the feature.

#ifndef BRIDGE_TRANSCODE_OBJECT_INFO_H_
#define BRIDGE_TRANSCODE_OBJECT_INFO_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace amqp::transcode {

struct ObjectInfo {
  std::string name;        // "Instance"
  std::string namespace_;  // "nova"
  std::string version;     // "2.7"
  int major = 0;           // 2
  // The primitive's keys: "nova_object.name", ...
  std::string name_key;
  std::string namespace_key;
  std::string version_key;
  std::string data_key;
  std::string changes_key;
  // The key prefix with its dot ("nova_object."), to tell the primitive's
  // own keys from others.
  std::string prefix;
  // The name, namespace and version members as JSON, written as they are.
  std::string header;
};

namespace object_info_internal {

// The process-wide cache: a lock and a hash lookup.
const ObjectInfo* Lookup(const google::protobuf::Descriptor& type);

// A thread's last answers, in front of Lookup(): one load and two
// comparisons for a type seen before. A type is known by its address and
// its options' address (a type of a pool that was destroyed could share
// the first; sharing both, with other options, would take a new type built
// at exactly the old one's places).
struct Slot {
  const google::protobuf::Descriptor* type = nullptr;
  const google::protobuf::MessageOptions* options = nullptr;
  const ObjectInfo* info = nullptr;
};
inline Slot& SlotOf(const google::protobuf::Descriptor& type) {
  thread_local Slot slots[16];
  return slots[(reinterpret_cast<uintptr_t>(&type) >> 6) & 15];
}

}  // namespace object_info_internal

// The object info of `type`, or null when it has no (amqp.object) option.
// Thread-safe; the result lives as long as the process.
inline const ObjectInfo* ObjectInfoOf(
    const google::protobuf::Descriptor& type) {
  const google::protobuf::MessageOptions* options = &type.options();
  // Protobuf points every message without options at the one default
  // instance: most messages end here.
  if (options == &google::protobuf::MessageOptions::default_instance()) {
    return nullptr;
  }
  object_info_internal::Slot& slot = object_info_internal::SlotOf(type);
  if (slot.type != &type || slot.options != options) {
    slot = {&type, options, object_info_internal::Lookup(type)};
  }
  return slot.info;
}

// An object version's major number: "2.7" -> 2; -1 when `version` is not
// "<digits>" or "<digits>.<digits>".
int ObjectMajorVersion(absl::string_view version);

// The oslo spelling of an enum value ((amqp.value)), or empty. Values with
// no options at all cost one pointer comparison.
absl::string_view EnumSpelling(
    const google::protobuf::EnumValueDescriptor& value);

// The value of `type` spelled `spelling` by (amqp.value), or null.
const google::protobuf::EnumValueDescriptor* FindEnumValueBySpelling(
    const google::protobuf::EnumDescriptor& type, absl::string_view spelling);

}  // namespace amqp::transcode

#endif  // BRIDGE_TRANSCODE_OBJECT_INFO_H_
