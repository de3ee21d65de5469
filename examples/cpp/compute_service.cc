#include "examples/cpp/compute_service.h"

#include <glog/logging.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bridge/transcode/transcode.h"

namespace examples::compute {

InMemoryCompute::InMemoryCompute(std::string host) : host_(std::move(host)) {
  Instance web;
  web.set_uuid("vm-1");
  web.set_name("web");
  web.set_host(host_);
  web.set_power_state(RUNNING);
  web.mutable_flavor()->set_name("m1.small");
  web.mutable_flavor()->set_vcpus(1);
  web.mutable_flavor()->set_memory_mb(2048);
  web.add_tags("frontend");
  web.mutable_launched_at()->set_seconds(1795507200);  // 2026-11-24T08:00:00Z
  instances_[web.uuid()] = web;

  Instance db;
  db.set_uuid("vm-2");
  db.set_name("db");
  db.set_host(host_);
  db.set_power_state(SHUTDOWN);
  db.mutable_flavor()->set_name("m1.large");
  db.mutable_flavor()->set_vcpus(4);
  db.mutable_flavor()->set_memory_mb(8192);
  (*db.mutable_flavor()->mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
  (*db.mutable_metadata()->mutable_fields())["backup"].set_bool_value(true);
  instances_[db.uuid()] = db;
}

const grpc::Status InMemoryCompute::Find(const std::string& uuid,
                                         const Instance** instance) const {
  auto it = instances_.find(uuid);
  if (it == instances_.end()) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("Instance ", uuid, " could not be found."));
  }
  *instance = &it->second;
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::GetInstance(amqp::rpc::CallContext&,
                                          const GetInstanceRequest& request,
                                          Instance* response) {
  const Instance* instance = nullptr;
  grpc::Status status = Find(request.instance_uuid(), &instance);
  if (status.ok()) *response = *instance;
  return status;
}

grpc::Status InMemoryCompute::ListInstances(amqp::rpc::CallContext&,
                                            const ListInstancesRequest& request,
                                            ListInstancesResponse* response) {
  for (const auto& [uuid, instance] : instances_) {
    if (request.has_power_state() &&
        instance.power_state() != request.power_state()) {
      continue;
    }
    if (request.limit() > 0 && response->instances_size() >= request.limit()) {
      break;
    }
    *response->add_instances() = instance;
  }
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::RebootInstance(
    amqp::rpc::CallContext& context, const RebootInstanceRequest& request,
    google::protobuf::Empty*) {
  const Instance* instance = nullptr;
  grpc::Status status = Find(request.instance_uuid(), &instance);
  casts_.fetch_add(1);
  LOG(INFO) << "cast reboot_instance " << request.instance_uuid() << " "
            << RebootInstanceRequest::RebootType_Name(request.reboot_type())
            << " (request " << context.GetString("request_id").value_or("none")
            << ")";
  return status;
}

grpc::Status InMemoryCompute::GetConsoleOutput(
    amqp::rpc::CallContext&, const GetConsoleOutputRequest& request,
    ConsoleOutput* response) {
  const Instance* instance = nullptr;
  grpc::Status status = Find(request.instance_uuid(), &instance);
  if (!status.ok()) return status;
  std::vector<std::string> lines;
  for (int n = 0; n < 5; ++n) {
    lines.push_back(
        absl::StrCat("[    0.0", n, "] ", instance->name(), " boot line ", n));
  }
  if (request.has_tail_length() && request.tail_length() < 5) {
    lines.erase(lines.begin(),
                lines.end() - std::max(0, request.tail_length()));
  }
  response->set_output(absl::StrJoin(lines, "\n"));
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::GetDiagnostics(
    amqp::rpc::CallContext&, const GetDiagnosticsRequest& request,
    Diagnostics* response) {
  const Instance* instance = nullptr;
  grpc::Status status = Find(request.instance_uuid(), &instance);
  if (!status.ok()) return status;
  response->set_state("running");
  response->set_uptime_seconds(3600);
  response->set_cpu_utilisation(0.25);
  NicDiagnostics* nic = response->add_nics();
  nic->set_mac_address("fa:16:3e:00:00:01");
  nic->set_rx_octets(uint64_t{1} << 40);
  nic->set_tx_octets(12345);
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::SnapshotInstance(
    amqp::rpc::CallContext&, const SnapshotInstanceRequest& request,
    Snapshot* response) {
  const Instance* instance = nullptr;
  grpc::Status status = Find(request.instance_uuid(), &instance);
  if (!status.ok()) return status;
  // Runs on the server's worker pool: sleeping blocks one worker only.
  absl::SleepFor(absl::Seconds(request.seconds()));
  response->set_instance_uuid(request.instance_uuid());
  response->set_image_id(absl::StrCat("snap-", request.instance_uuid()));
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::GetCallerContext(
    amqp::rpc::CallContext& context, const google::protobuf::Empty&,
    google::protobuf::Struct* response) {
  absl::Status status =
      amqp::transcode::ReadMessage(context.values(), response, nullptr);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

grpc::Status InMemoryCompute::RefreshCache(amqp::rpc::CallContext&,
                                           const RefreshCacheRequest& request,
                                           google::protobuf::Empty*) {
  casts_.fetch_add(1);
  LOG(INFO) << "fanout refresh_cache '" << request.reason() << "'";
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::Ping(amqp::rpc::CallContext&,
                                   const PingRequest& request,
                                   PingReply* response) {
  response->set_host(host_);
  response->set_payload(request.payload());
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::PingAll(amqp::rpc::CallContext&,
                                      const PingRequest& request,
                                      PingReply* response) {
  response->set_host(host_);
  response->set_payload(request.payload());
  return grpc::Status::OK;
}

grpc::Status InMemoryCompute::SetHostEnabled(
    amqp::rpc::CallContext& context, const SetHostEnabledRequest& request,
    HostEnabled* response) {
  LOG(INFO) << "set_host_enabled " << (request.enabled() ? "true" : "false")
            << " '" << request.reason() << "' (request "
            << context.GetString("request_id").value_or("none") << ")";
  response->set_host(host_);
  response->set_enabled(request.enabled());
  return grpc::Status::OK;
}

}  // namespace examples::compute
