#include "bridge/gateway/reflection_service.h"

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace amqp::gateway {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::grpc::reflection::v1alpha::ServerReflectionRequest;
using ::grpc::reflection::v1alpha::ServerReflectionResponse;

void SetError(grpc::StatusCode code, const std::string& message,
              ServerReflectionResponse* response) {
  response->mutable_error_response()->set_error_code(code);
  response->mutable_error_response()->set_error_message(message);
}

// Puts `file` (always) and its transitive imports (those not sent yet) into
// the response, breadth first, and records them as sent.
void AddFileAndImports(const FileDescriptor* file,
                       absl::flat_hash_set<std::string>* sent_files,
                       ServerReflectionResponse* response) {
  auto* files = response->mutable_file_descriptor_response();
  std::vector<const FileDescriptor*> queue = {file};
  sent_files->insert(file->name());
  for (size_t i = 0; i < queue.size(); ++i) {
    FileDescriptorProto proto;
    queue[i]->CopyTo(&proto);
    queue[i]->CopySourceCodeInfoTo(&proto);  // comments, for "describe"
    proto.SerializeToString(files->add_file_descriptor_proto());
    for (int d = 0; d < queue[i]->dependency_count(); ++d) {
      const FileDescriptor* import = queue[i]->dependency(d);
      if (sent_files->insert(import->name()).second) queue.push_back(import);
    }
  }
}

// One stream: reads a request, writes its answer, repeats until the client
// half-closes. One operation at a time, so no locking.
class ReflectionStream final : public GenericStream::Handler {
 public:
  ReflectionStream(const ReflectionService* service, GenericStream* stream)
      : service_(service), stream_(stream) {
    stream_->StartRead(&request_bytes_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close, or the call is gone
      stream_->Finish(grpc::Status::OK);
      return;
    }
    ServerReflectionRequest request;
    grpc::Status parsed =
        grpc::SerializationTraits<ServerReflectionRequest>::Deserialize(
            &request_bytes_, &request);
    if (!parsed.ok()) {
      stream_->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "not a ServerReflectionRequest"));
      return;
    }
    bool own_buffer = false;
    response_bytes_.Clear();  // the last answer, written
    grpc::SerializationTraits<ServerReflectionResponse>::Serialize(
        service_->Answer(request, &sent_files_), &response_bytes_, &own_buffer);
    stream_->StartWrite(&response_bytes_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      stream_->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                   "reflection stream closed while answering"));
      return;
    }
    stream_->StartRead(&request_bytes_);
  }

 private:
  const ReflectionService* const service_;
  GenericStream* const stream_;
  grpc::ByteBuffer request_bytes_;
  grpc::ByteBuffer response_bytes_;
  absl::flat_hash_set<std::string> sent_files_;
};

}  // namespace

ReflectionService::ReflectionService(
    const google::protobuf::DescriptorPool* pool,
    std::vector<std::string> service_names)
    : pool_(pool), service_names_(std::move(service_names)) {}

void ReflectionService::AddTo(GenericStreamService* generic) const {
  generic->AddMethod(kMethod, [this](GenericStream* stream) {
    return std::make_unique<ReflectionStream>(this, stream);
  });
}

ServerReflectionResponse ReflectionService::Answer(
    const ServerReflectionRequest& request,
    absl::flat_hash_set<std::string>* sent_files) const {
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;

  switch (request.message_request_case()) {
    case ServerReflectionRequest::kListServices: {
      auto* list = response.mutable_list_services_response();
      for (const std::string& name : service_names_) {
        list->add_service()->set_name(name);
      }
      break;
    }
    case ServerReflectionRequest::kFileByFilename: {
      const std::string& name = request.file_by_filename();
      const FileDescriptor* file = pool_->FindFileByName(name);
      if (file == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("file not found: ", name), &response);
        break;
      }
      AddFileAndImports(file, sent_files, &response);
      break;
    }
    case ServerReflectionRequest::kFileContainingSymbol: {
      const std::string& symbol = request.file_containing_symbol();
      const FileDescriptor* file = pool_->FindFileContainingSymbol(symbol);
      if (file == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("symbol not found: ", symbol), &response);
        break;
      }
      AddFileAndImports(file, sent_files, &response);
      break;
    }
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& ask = request.file_containing_extension();
      const Descriptor* type =
          pool_->FindMessageTypeByName(ask.containing_type());
      if (type == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("type not found: ", ask.containing_type()),
                 &response);
        break;
      }
      const FieldDescriptor* extension =
          pool_->FindExtensionByNumber(type, ask.extension_number());
      if (extension == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("extension not found: ", ask.containing_type(),
                              " has no extension ", ask.extension_number()),
                 &response);
        break;
      }
      AddFileAndImports(extension->file(), sent_files, &response);
      break;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const std::string& name = request.all_extension_numbers_of_type();
      const Descriptor* type = pool_->FindMessageTypeByName(name);
      if (type == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("type not found: ", name), &response);
        break;
      }
      std::vector<const FieldDescriptor*> extensions;
      pool_->FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const FieldDescriptor* extension : extensions) {
        numbers->add_extension_number(extension->number());
      }
      break;
    }
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      SetError(grpc::StatusCode::UNIMPLEMENTED,
               "reflection request names no known question", &response);
      break;
  }
  return response;
}

}  // namespace amqp::gateway
