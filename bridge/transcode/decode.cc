// oslo JSON -> Protobuf (ReadArgs, ReadResult, ReadMessage): the rules of
// json_decoder.h filling a Message through reflection.

#include <string>
#include <utility>

#include "bridge/transcode/json_decoder.h"
#include "bridge/transcode/transcode.h"

namespace amqp::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

// A Message as json_decoder.h fills it.
class MessageSink {
 public:
  explicit MessageSink(google::protobuf::Message* message)
      : m_(message), r_(*message->GetReflection()) {}

  const Descriptor& type() const { return *m_->GetDescriptor(); }

  void Clear(const FieldDescriptor& field) { r_.ClearField(m_, &field); }

  void Put(const FieldDescriptor& field, int32_t v) {
    field.is_repeated() ? r_.AddInt32(m_, &field, v)
                        : r_.SetInt32(m_, &field, v);
  }
  void Put(const FieldDescriptor& field, int64_t v) {
    field.is_repeated() ? r_.AddInt64(m_, &field, v)
                        : r_.SetInt64(m_, &field, v);
  }
  void Put(const FieldDescriptor& field, uint32_t v) {
    field.is_repeated() ? r_.AddUInt32(m_, &field, v)
                        : r_.SetUInt32(m_, &field, v);
  }
  void Put(const FieldDescriptor& field, uint64_t v) {
    field.is_repeated() ? r_.AddUInt64(m_, &field, v)
                        : r_.SetUInt64(m_, &field, v);
  }
  void Put(const FieldDescriptor& field, double v) {
    field.is_repeated() ? r_.AddDouble(m_, &field, v)
                        : r_.SetDouble(m_, &field, v);
  }
  void Put(const FieldDescriptor& field, float v) {
    field.is_repeated() ? r_.AddFloat(m_, &field, v)
                        : r_.SetFloat(m_, &field, v);
  }
  void Put(const FieldDescriptor& field, bool v) {
    field.is_repeated() ? r_.AddBool(m_, &field, v) : r_.SetBool(m_, &field, v);
  }
  void PutEnum(const FieldDescriptor& field, int number) {
    field.is_repeated() ? r_.AddEnumValue(m_, &field, number)
                        : r_.SetEnumValue(m_, &field, number);
  }
  void PutString(const FieldDescriptor& field, std::string&& text) {
    field.is_repeated() ? r_.AddString(m_, &field, std::move(text))
                        : r_.SetString(m_, &field, std::move(text));
  }
  void PutString(const FieldDescriptor& field, absl::string_view text) {
    PutString(field, std::string(text));
  }

  MessageSink Begin(const FieldDescriptor& field) {
    return MessageSink(field.is_repeated() ? r_.AddMessage(m_, &field)
                                           : r_.MutableMessage(m_, &field));
  }
  void End(MessageSink&) {}

 private:
  google::protobuf::Message* m_;
  const Reflection& r_;
};

using Decoder = JsonDecoder<MessageSink>;

}  // namespace

absl::Status ReadMessage(const rapidjson::Value& json,
                         google::protobuf::Message* message,
                         ResultStats* stats) {
  MessageSink sink(message);
  return Decoder(stats).Message(json, sink);
}

absl::Status ReadArgs(const rapidjson::Value& args,
                      google::protobuf::Message* request) {
  request->Clear();
  MessageSink sink(request);
  return Decoder(nullptr).Object(args, sink, /*strict=*/true);
}

absl::Status ReadResult(const rapidjson::Value& result,
                        absl::string_view result_field,
                        google::protobuf::Message* response,
                        ResultStats* stats) {
  response->Clear();
  MessageSink sink(response);
  return ReadResultInto(result, result_field, sink, stats);
}

}  // namespace amqp::transcode
