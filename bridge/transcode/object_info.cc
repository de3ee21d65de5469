#include "bridge/transcode/object_info.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "amqp/options.pb.h"
#include "bridge/oslo/json.h"

namespace amqp::transcode {
namespace {

using google::protobuf::Descriptor;

constexpr absl::string_view kDefaultSerialNamespace = "versioned_object";

// What an info was built from: the info is right for a type as long as
// these are the same. (Types of a pool that was destroyed may share an
// address with a later type; the comparison keeps the cache right then.)
bool BuiltFrom(const ObjectInfo& info, const Descriptor& type,
               const amqp::ObjectOptions& options) {
  const absl::string_view name =
      options.name().empty() ? absl::string_view(type.name()) : options.name();
  const absl::string_view serial = options.serial_namespace().empty()
                                       ? kDefaultSerialNamespace
                                       : options.serial_namespace();
  return info.name == name && info.namespace_ == options.namespace_() &&
         info.version == options.version() &&
         absl::string_view(info.prefix).substr(0, info.prefix.size() - 1) ==
             serial;
}

std::unique_ptr<ObjectInfo> Build(const Descriptor& type,
                                  const amqp::ObjectOptions& options) {
  auto info = std::make_unique<ObjectInfo>();
  info->name = options.name().empty() ? type.name() : options.name();
  info->namespace_ = options.namespace_();
  info->version = options.version();
  info->major = ObjectMajorVersion(options.version());
  const absl::string_view serial = options.serial_namespace().empty()
                                       ? kDefaultSerialNamespace
                                       : options.serial_namespace();
  info->prefix = absl::StrCat(serial, ".");
  info->name_key = absl::StrCat(info->prefix, "name");
  info->namespace_key = absl::StrCat(info->prefix, "namespace");
  info->version_key = absl::StrCat(info->prefix, "version");
  info->data_key = absl::StrCat(info->prefix, "data");
  info->changes_key = absl::StrCat(info->prefix, "changes");
  std::string header;
  oslo::PyJsonWriter writer(&header);
  writer.StartObject();
  writer.Key(info->name_key);
  writer.String(info->name);
  writer.Key(info->namespace_key);
  writer.String(info->namespace_);
  writer.Key(info->version_key);
  writer.String(info->version);
  writer.EndObject();
  info->header = header.substr(1, header.size() - 2);  // without the braces
  return info;
}

class Cache {
 public:
  const ObjectInfo* Get(const Descriptor& type,
                        const amqp::ObjectOptions& options) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = infos_.find(&type);
      if (it != infos_.end() && BuiltFrom(*it->second, type, options)) {
        return it->second;
      }
    }
    absl::MutexLock lock(&mu_);
    auto it = infos_.find(&type);
    if (it != infos_.end() && BuiltFrom(*it->second, type, options)) {
      return it->second;
    }
    // Kept for good: a caller may still hold the one it replaces.
    built_.push_back(Build(type, options));
    infos_[&type] = built_.back().get();
    return built_.back().get();
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const Descriptor*, const ObjectInfo*> infos_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<ObjectInfo>> built_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

namespace object_info_internal {

const ObjectInfo* Lookup(const Descriptor& type) {
  const google::protobuf::MessageOptions& options = type.options();
  if (!options.HasExtension(amqp::object)) return nullptr;
  static Cache* const cache = new Cache();
  return cache->Get(type, options.GetExtension(amqp::object));
}

}  // namespace object_info_internal

int ObjectMajorVersion(absl::string_view version) {
  // By hand: once per object read, where absl's parsing cost a tenth of
  // the object's decoding.
  constexpr int kMaxMajor = 1 << 20;
  size_t i = 0;
  int major = 0;
  for (; i < version.size() && absl::ascii_isdigit(version[i]); ++i) {
    major = major * 10 + (version[i] - '0');
    if (major > kMaxMajor) return -1;
  }
  if (i == 0) return -1;
  if (i == version.size()) return major;
  if (version[i] != '.' || i + 1 == version.size()) return -1;
  for (++i; i < version.size(); ++i) {
    if (!absl::ascii_isdigit(version[i])) return -1;
  }
  return major;
}

absl::string_view EnumSpelling(
    const google::protobuf::EnumValueDescriptor& value) {
  if (&value.options() ==
      &google::protobuf::EnumValueOptions::default_instance()) {
    return absl::string_view();
  }
  return value.options().GetExtension(amqp::value);
}

const google::protobuf::EnumValueDescriptor* FindEnumValueBySpelling(
    const google::protobuf::EnumDescriptor& type, absl::string_view spelling) {
  for (int i = 0; i < type.value_count(); ++i) {
    const absl::string_view own = EnumSpelling(*type.value(i));
    if (!own.empty() && own == spelling) return type.value(i);
  }
  return nullptr;
}

}  // namespace amqp::transcode
