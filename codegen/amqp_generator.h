// protoc-gen-amqp's code generator: for each .proto with services, writes
// <file>.amqp.h/.cc holding, per service, an oslo endpoint base class
// (<Service>Endpoint) and a typed oslo client (<Service>Client). The code it
// writes targets the runtime in bridge/stubs and bridge/rpc.

#ifndef CODEGEN_AMQP_GENERATOR_H_
#define CODEGEN_AMQP_GENERATOR_H_

#include <google/protobuf/compiler/code_generator.h>

#include <string>

namespace amqp::codegen {

class AmqpGenerator : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const google::protobuf::FileDescriptor* file,
                const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context,
                std::string* error) const override;

  uint64_t GetSupportedFeatures() const override {
    return FEATURE_PROTO3_OPTIONAL;
  }
};

}  // namespace amqp::codegen

#endif  // CODEGEN_AMQP_GENERATOR_H_
