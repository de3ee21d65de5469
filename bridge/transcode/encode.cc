// Protobuf -> oslo JSON (WriteArgs, WriteResult, WriteMessage): the rules of
// json_encoder.h reading a Message through reflection.

#include <string>

#include "bridge/transcode/json_encoder.h"
#include "bridge/transcode/transcode.h"
#include "bridge/transcode/well_known.h"

namespace amqp::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

// A Message as json_encoder.h reads it.
class MessageSource {
 public:
  explicit MessageSource(const google::protobuf::Message& message)
      : m_(message), r_(*message.GetReflection()) {}

  const Descriptor& type() const { return *m_.GetDescriptor(); }

  // Scalars, repeated and map fields always; fields with presence only when
  // set.
  bool IsWritten(const FieldDescriptor& field) const {
    if (field.is_repeated() || !field.has_presence()) return true;
    return r_.HasField(m_, &field);
  }

  // Reflection's HasField is true for a scalar without presence that is
  // not its default.
  bool HasValue(const FieldDescriptor& field) const {
    return field.is_repeated() ? r_.FieldSize(m_, &field) > 0
                               : r_.HasField(m_, &field);
  }

  const FieldDescriptor* WhichOneof(const OneofDescriptor& oneof) const {
    return r_.GetOneofFieldDescriptor(m_, &oneof);
  }

  int64_t GetInt64(const FieldDescriptor& field) const {
    return r_.GetInt64(m_, &field);
  }
  int32_t GetInt32(const FieldDescriptor& field) const {
    return r_.GetInt32(m_, &field);
  }

  template <typename Fn>
  absl::Status Visit(const FieldDescriptor& field, Fn&& fn) const {
    return Value(field, -1, fn);
  }

  template <typename Fn>
  absl::Status ForEach(const FieldDescriptor& field, Fn&& fn) const {
    const int size = r_.FieldSize(m_, &field);
    for (int i = 0; i < size; ++i) {
      if (absl::Status s = Value(field, i, fn); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  // Element `index` of a repeated field, or the singular value when
  // index < 0.
  template <typename Fn>
  absl::Status Value(const FieldDescriptor& field, int index, Fn& fn) const {
    const bool repeated = index >= 0;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return fn(repeated ? r_.GetRepeatedInt32(m_, &field, index)
                           : r_.GetInt32(m_, &field));
      case FieldDescriptor::CPPTYPE_INT64:
        return fn(repeated ? r_.GetRepeatedInt64(m_, &field, index)
                           : r_.GetInt64(m_, &field));
      case FieldDescriptor::CPPTYPE_UINT32:
        return fn(repeated ? r_.GetRepeatedUInt32(m_, &field, index)
                           : r_.GetUInt32(m_, &field));
      case FieldDescriptor::CPPTYPE_UINT64:
        return fn(repeated ? r_.GetRepeatedUInt64(m_, &field, index)
                           : r_.GetUInt64(m_, &field));
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return fn(repeated ? r_.GetRepeatedDouble(m_, &field, index)
                           : r_.GetDouble(m_, &field));
      case FieldDescriptor::CPPTYPE_FLOAT:
        return fn(repeated ? r_.GetRepeatedFloat(m_, &field, index)
                           : r_.GetFloat(m_, &field));
      case FieldDescriptor::CPPTYPE_BOOL:
        return fn(repeated ? r_.GetRepeatedBool(m_, &field, index)
                           : r_.GetBool(m_, &field));
      case FieldDescriptor::CPPTYPE_ENUM:
        return fn(EnumNumber{repeated
                                 ? r_.GetRepeatedEnumValue(m_, &field, index)
                                 : r_.GetEnumValue(m_, &field)});
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& text =
            repeated
                ? r_.GetRepeatedStringReference(m_, &field, index, &scratch)
                : r_.GetStringReference(m_, &field, &scratch);
        return fn(absl::string_view(text));
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return fn(MessageSource(repeated
                                    ? r_.GetRepeatedMessage(m_, &field, index)
                                    : r_.GetMessage(m_, &field)));
    }
    return absl::OkStatus();
  }

  const google::protobuf::Message& m_;
  const Reflection& r_;
};

using Encoder = JsonEncoder<MessageSource>;

}  // namespace

absl::Status WriteMessage(const google::protobuf::Message& message,
                          oslo::PyJsonWriter* writer) {
  return Encoder(writer).Message(MessageSource(message));
}

absl::Status WriteArgs(const google::protobuf::Message& request,
                       const ArgsOptions& options, oslo::PyJsonWriter* writer) {
  // Arguments are always keyword arguments, even for well-known types.
  return Encoder(writer).Object(MessageSource(request), options.skip_field);
}

absl::Status WriteResult(const google::protobuf::Message& response,
                         absl::string_view result_field,
                         oslo::PyJsonWriter* writer) {
  return Encoder(writer).Result(MessageSource(response), result_field);
}

}  // namespace amqp::transcode
