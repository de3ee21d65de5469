// objects_peer: the generated ObjectsApiEndpoint and ObjectsApiClient
// (tests/codegen/objects_api.proto), whose messages are oslo versioned
// objects, for objects_interop_test.py.
//
//   objects_peer --mode=serve --topic=T   # serves; logs "ready"
//   objects_peer --mode=call --topic=T    # calls a server on T, prints
//       # one line per call: "<oslo method> <response as proto3 JSON>" or
//       # "<oslo method> ERROR <code> <message>"

#include <glog/logging.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bridge/rpc/dispatcher.h"
#include "bridge/rpc/rpc_client.h"
#include "bridge/rpc/rpc_server.h"
#include "bridge/transport/transport_url.h"
#include "tests/codegen/objects_api.amqp.h"

ABSL_FLAG(std::string, transport_url, "rabbit://guest:guest@127.0.0.1:5672/",
          "oslo transport_url");
ABSL_FLAG(std::string, mode, "serve", "serve or call");
ABSL_FLAG(std::string, topic, "objects_api", "topic to serve or call");
ABSL_FLAG(uint64_t, max_message_bytes, uint64_t{16} << 20,
          "larger requests are rejected unread; 0 = no limit");

namespace tests::objects_api {
namespace {

using tests::objects::Diagnostics;
using tests::objects::Instance;
using tests::objects::TagList;

class Endpoint : public ObjectsApiEndpoint {
 public:
  grpc::Status GetInstance(amqp::rpc::CallContext&,
                           const tests::objects::GetInstanceRequest& request,
                           Instance* response) override {
    if (request.instance_uuid() == "vm-404") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "Instance vm-404 could not be found.");
    }
    response->set_uuid(request.instance_uuid());
    response->set_display_name("web-1");
    response->set_vm_state(tests::objects::ACTIVE);
    response->set_power_state(1);
    response->set_memory_mb(2048);
    response->set_vcpus(2);
    response->set_host("compute-host-1");
    response->set_locked(false);
    response->mutable_launched_at()->set_seconds(1795507200);
    tests::objects::Flavor* flavor = response->mutable_flavor();
    flavor->set_name("m1.small");
    flavor->set_memory_mb(2048);
    flavor->set_vcpus(2);
    flavor->set_root_gb(20);
    (*flavor->mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
    response->mutable_tags()->add_objects()->set_tag("frontend");
    (*response->mutable_metadata())["backup"] = "yes";
    return grpc::Status::OK;
  }

  grpc::Status UpdateInstance(amqp::rpc::CallContext&,
                              const UpdateInstanceRequest& request,
                              Instance* response) override {
    *response = request.instance();
    response->set_host(request.host());
    return grpc::Status::OK;
  }

  grpc::Status GetInstanceDiagnostics(
      amqp::rpc::CallContext&,
      const tests::objects::GetInstanceDiagnosticsRequest& request,
      Diagnostics* response) override {
    response->set_state(tests::objects::RUNNING);
    response->set_driver(tests::objects::LIBVIRT);
    response->set_hypervisor("kvm");
    response->set_uptime(3600);
    response->set_config_drive(false);
    response->mutable_memory_details()->set_maximum(
        request.instance().memory_mb());
    for (int64_t i = 0; i < request.instance().vcpus(); ++i) {
      tests::objects::CpuDiagnostics* cpu = response->add_cpu_details();
      cpu->set_id(i);
      cpu->set_time(17300000000 + i);
    }
    response->set_num_cpus(request.instance().vcpus());
    response->set_num_nics(0);
    return grpc::Status::OK;
  }

  grpc::Status CollectTags(amqp::rpc::CallContext&,
                           const CollectTagsRequest& request,
                           TagList* response) override {
    for (const Instance& instance : request.instances()) {
      for (const tests::objects::Tag& tag : instance.tags().objects()) {
        *response->add_objects() = tag;
      }
    }
    return grpc::Status::OK;
  }
};

int Serve(const amqp::transport::TransportUrl& url) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Endpoint endpoint;
  amqp::rpc::Dispatcher dispatcher;
  dispatcher.AddEndpoint(&endpoint);
  amqp::rpc::RpcServer::Options options;
  options.url = url;
  options.target.topic = absl::GetFlag(FLAGS_topic);
  options.target.server = "cpp";
  options.name = "objects_peer";
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  amqp::rpc::RpcServer server(options, &dispatcher);
  if (!server.WaitReady(absl::Seconds(30))) {
    LOG(ERROR) << "broker not reachable";
    return 1;
  }
  LOG(INFO) << "ready: topic '" << options.target.topic << "'";
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  return 0;
}

template <typename Response>
void Print(const char* method, const absl::StatusOr<Response>& response) {
  if (!response.ok()) {
    std::cout << method << " ERROR "
              << absl::StatusCodeToString(response.status().code()) << " "
              << response.status().message() << std::endl;
    return;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*response, &json, options);
  std::cout << method << " " << json << std::endl;
}

Instance SentInstance() {
  Instance instance;
  instance.set_uuid("vm-7");
  instance.set_vm_state(tests::objects::BUILDING);
  instance.set_memory_mb(0);  // optional: sent although 0
  instance.set_vcpus(3);
  instance.set_display_name("from C++");
  instance.set_locked(false);
  instance.mutable_launched_at()->set_seconds(1795507200);
  instance.mutable_launched_at()->set_nanos(123456000);
  tests::objects::Flavor* flavor = instance.mutable_flavor();
  flavor->set_name("m1.tiny");
  flavor->set_vcpus(3);
  (*flavor->mutable_extra_specs())["hw:mem_page_size"] = "large";
  flavor->add_projects("p1");
  instance.mutable_tags()->add_objects()->set_tag("a");
  instance.mutable_tags()->add_objects()->set_tag("b");
  (*instance.mutable_metadata())["k"] = "v";
  return instance;
}

int Call(const amqp::transport::TransportUrl& url) {
  amqp::rpc::RpcClient::Options options;
  options.url = url;
  amqp::rpc::RpcClient rpc(options);
  if (!rpc.WaitReady(absl::Seconds(10))) {
    LOG(ERROR) << "broker not reachable";
    return 1;
  }
  amqp::rpc::CallSpec spec = ObjectsApiClient::DefaultSpec();
  spec.target.topic = absl::GetFlag(FLAGS_topic);
  spec.timeout = absl::Seconds(10);
  const ObjectsApiClient client(&rpc, spec);

  tests::objects::GetInstanceRequest get;
  get.set_instance_uuid("vm-1");
  Print("get_instance", client.GetInstance(get));
  UpdateInstanceRequest update;
  *update.mutable_instance() = SentInstance();
  update.set_host("py-host");
  Print("update_instance", client.UpdateInstance(update));
  tests::objects::GetInstanceDiagnosticsRequest diagnostics;
  *diagnostics.mutable_instance() = SentInstance();
  Print("get_instance_diagnostics", client.GetInstanceDiagnostics(diagnostics));
  CollectTagsRequest tags;
  *tags.add_instances() = SentInstance();
  tags.add_instances()->mutable_tags()->add_objects()->set_tag("c");
  Print("collect_tags", client.CollectTags(tags));
  // A result that does not fit: the Python server answers a Flavor.
  get.set_instance_uuid("flavor-instead");
  Print("get_instance", client.GetInstance(get));
  return 0;
}

}  // namespace
}  // namespace tests::objects_api

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<amqp::transport::TransportUrl> url =
      amqp::transport::ParseTransportUrl(absl::GetFlag(FLAGS_transport_url));
  if (!url.ok()) {
    std::cerr << "objects_peer: " << url.status().message() << "\n";
    return 64;
  }
  return absl::GetFlag(FLAGS_mode) == "call" ? tests::objects_api::Call(*url)
                                             : tests::objects_api::Serve(*url);
}
