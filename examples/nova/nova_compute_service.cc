#include "examples/nova/nova_compute_service.h"

#include <glog/logging.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bridge/stubs/grpc_status.h"

namespace examples::nova_compute {

using nova::objects::Diagnostics;
using nova::objects::Instance;

NovaCompute::NovaCompute(std::string host,
                         const std::vector<std::string>& instances)
    : host_(std::move(host)), instances_(instances.begin(), instances.end()) {}

grpc::Status NovaCompute::Find(const Instance& instance) const {
  if (instances_.contains(instance.uuid())) return grpc::Status::OK;
  // What nova's manager raises; nova's client re-raises it because
  // nova.exception is in its allowed_remote_exmods.
  return amqp::stubs::ServiceException(
      grpc::StatusCode::NOT_FOUND,
      absl::StrCat("Instance ", instance.uuid(), " could not be found."),
      "nova.exception", "InstanceNotFound", {{"instance_id", instance.uuid()}});
}

grpc::Status NovaCompute::GetConsoleOutput(
    amqp::rpc::CallContext&, const GetConsoleOutputRequest& request,
    ConsoleOutput* response) {
  if (grpc::Status status = Find(request.instance()); !status.ok()) {
    return status;
  }
  const Instance& instance = request.instance();
  std::vector<std::string> lines;
  for (int n = 0; n < 5; ++n) {
    lines.push_back(absl::StrCat("[    0.0", n, "] ", instance.display_name(),
                                 " (", instance.uuid(), ") boot line ", n));
  }
  if (request.has_tail_length() && request.tail_length() < 5) {
    lines.erase(lines.begin(),
                lines.end() - std::max<int64_t>(0, request.tail_length()));
  }
  response->set_output(absl::StrJoin(lines, "\n"));
  return grpc::Status::OK;
}

grpc::Status NovaCompute::RebootInstance(amqp::rpc::CallContext& context,
                                         const RebootInstanceRequest& request,
                                         google::protobuf::Empty*) {
  reboots_.fetch_add(1);
  LOG(INFO) << "reboot_instance " << request.instance().uuid() << " "
            << RebootInstanceRequest::RebootType_Name(request.reboot_type())
            << " vm_state=" << request.instance().vm_state() << " (request "
            << context.GetString("request_id").value_or("none") << ")";
  return grpc::Status::OK;
}

grpc::Status NovaCompute::GetInstanceDiagnostics(
    amqp::rpc::CallContext&, const GetInstanceDiagnosticsRequest& request,
    Diagnostics* response) {
  if (grpc::Status status = Find(request.instance()); !status.ok()) {
    return status;
  }
  // Shaped by the instance nova sent: one CpuDiagnostics per vCPU, memory
  // from memory_mb.
  const Instance& instance = request.instance();
  response->set_state(nova::objects::INSTANCE_POWER_STATE_RUNNING);
  response->set_driver(nova::objects::HYPERVISOR_DRIVER_LIBVIRT);
  response->set_hypervisor("kvm");
  response->set_hypervisor_os("linux");
  response->set_uptime(3600);
  response->set_config_drive(true);
  response->mutable_memory_details()->set_maximum(instance.memory_mb());
  response->mutable_memory_details()->set_used(instance.memory_mb() / 2);
  for (int64_t cpu = 0; cpu < instance.vcpus(); ++cpu) {
    nova::objects::CpuDiagnostics* details = response->add_cpu_details();
    details->set_id(cpu);
    details->set_time(17300000000 + cpu);
    details->set_utilisation(15);
  }
  nova::objects::NicDiagnostics* nic = response->add_nic_details();
  nic->set_mac_address("fa:16:3e:00:00:01");
  nic->set_rx_octets(int64_t{1} << 40);
  nic->set_tx_octets(12345);
  response->set_num_cpus(instance.vcpus());
  response->set_num_nics(1);
  return grpc::Status::OK;
}

grpc::Status NovaCompute::GetHostUptime(amqp::rpc::CallContext&,
                                        const GetHostUptimeRequest&,
                                        HostUptime* response) {
  double seconds = 0;
  std::ifstream("/proc/uptime") >> seconds;
  response->set_uptime(
      absl::StrCat(host_, " up ", static_cast<int64_t>(seconds), " seconds"));
  return grpc::Status::OK;
}

}  // namespace examples::nova_compute
