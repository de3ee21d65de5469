#include "bridge/oslo/context.h"

#include <string>

#include "absl/strings/match.h"

namespace amqp::oslo {

void WritePackedContext(const rapidjson::Value* context, PyJsonWriter* writer) {
  if (context == nullptr || !context->IsObject()) return;
  std::string key;
  for (const auto& member : context->GetObject()) {
    key.assign(kContextPrefix.data(), kContextPrefix.size());
    key.append(member.name.GetString(), member.name.GetStringLength());
    writer->Key(key);
    member.value.Accept(*writer);
  }
}

bool UnpackContextMember(absl::string_view key, const rapidjson::Value& value,
                         rapidjson::Value* context,
                         rapidjson::MemoryPoolAllocator<>& allocator) {
  if (!absl::StartsWith(key, kContextPrefix)) return false;
  key.remove_prefix(kContextPrefix.size());
  rapidjson::Value name(rapidjson::StringRef(
      key.data(), static_cast<rapidjson::SizeType>(key.size())));
  rapidjson::Value copy(value, allocator);
  context->AddMember(name, copy, allocator);
  return true;
}

}  // namespace amqp::oslo
