// protoc-gen-amqp: protoc --plugin=protoc-gen-amqp=... --amqp_out=DIR x.proto
#include <google/protobuf/compiler/plugin.h>

#include "codegen/amqp_generator.h"

int main(int argc, char* argv[]) {
  amqp::codegen::AmqpGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
