// The gateway's reactors (UnaryCall, BridgeCall) between a real gRPC client
// and server in this process, on a fake OsloClient instead of the broker:
// what reaches the RPC layer (method, arguments, context, target, the
// deadline as the call timeout, the GATHER window), and what the client
// sees for each outcome the RPC layer can report (a reply, an oslo failure,
// UNAVAILABLE, a version cap, a timeout, a cancellation), the GATHER,
// SUBSCRIBE and NOTIFICATIONS streams, `notify` methods, and max_inflight. The
// live tests (tests/bridge/bridge_test.py and others) run the same paths over
// RabbitMQ.

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/gateway/bridge_service.h"
#include "bridge/gateway/call_metadata.h"
#include "bridge/gateway/error_mapping.h"
#include "bridge/gateway/gateway_env.h"
#include "bridge/gateway/oslo_client.h"
#include "bridge/gateway/route_table.h"
#include "bridge/gateway/unary_call.h"
#include "bridge/oslo/failure.h"
#include "bridge/oslo/notification.h"
#include "bridge/oslo/reply.h"
#include "bridge/oslo/request.h"
#include "bridge/rpc/version.h"
#include "examples/compute.grpc.pb.h"
#include "examples/compute.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/gateway/reactor_test.grpc.pb.h"
#include "tests/gateway/reactor_test.pb.h"
#include "tests/gateway/test_routes.h"

namespace amqp::gateway {
namespace {

using ::examples::compute::Compute;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(10);

// An OsloClient that records each request and lets the test answer it, as
// the RPC layer would: each `done` runs once, Cancel() runs it with
// CANCELLED unless it ran already.
class FakeOsloClient : public OsloClient {
 public:
  enum class Kind { kCall, kCast, kGather };
  struct Request {
    Kind kind;
    rpc::CallSpec spec;
    std::string method;
    std::string args;
    std::string request_id;  // the oslo context's
    GatherOptions options;
    CallDone call_done;
    CastDone cast_done;
    GatherReply on_reply;
    GatherDone gather_done;
    bool finished = false;
    bool cancelled = false;
  };

  CallId CallAsync(const rpc::CallSpec& spec, absl::string_view method,
                   absl::string_view args_json, const rapidjson::Value* context,
                   CallDone done) override {
    Request request = Make(Kind::kCall, spec, method, args_json, context);
    request.call_done = std::move(done);
    return Add(std::move(request));
  }
  void CastAsync(const rpc::CallSpec& spec, absl::string_view method,
                 absl::string_view args_json, const rapidjson::Value* context,
                 CastDone done) override {
    Request request = Make(Kind::kCast, spec, method, args_json, context);
    request.cast_done = std::move(done);
    Add(std::move(request));
  }
  CallId GatherAsync(const rpc::CallSpec& spec, absl::string_view method,
                     absl::string_view args_json,
                     const rapidjson::Value* context,
                     const GatherOptions& options, GatherReply on_reply,
                     GatherDone done) override {
    Request request = Make(Kind::kGather, spec, method, args_json, context);
    request.options = options;
    request.on_reply = std::move(on_reply);
    request.gather_done = std::move(done);
    return Add(std::move(request));
  }
  void Cancel(const CallId& id) override {
    Request* request;
    {
      absl::MutexLock lock(&mu_);
      request = &requests_[std::stoul(id)];
      request->cancelled = true;
      if (request->finished) return;
      request->finished = true;
    }
    const absl::Status cancelled = absl::CancelledError("cancelled");
    if (request->call_done) request->call_done(cancelled);
    if (request->gather_done) request->gather_done(cancelled, {});
  }

  class FakeSubscription : public Subscription {
   public:
    explicit FakeSubscription(FakeOsloClient* fake) : fake_(fake) {}
    ~FakeSubscription() override {
      absl::MutexLock lock(&fake_->subscriptions_mu_);
      --fake_->live_subscriptions_;
      fake_->on_cast_ = nullptr;
      fake_->on_notification_ = nullptr;
      fake_->ready_ = nullptr;
    }

   private:
    FakeOsloClient* const fake_;
  };

  class FakeNotificationSubscription : public NotificationSubscription {
   public:
    explicit FakeNotificationSubscription(FakeOsloClient* fake)
        : subscription_(fake) {}
    int64_t malformed() const override { return 0; }

   private:
    FakeSubscription subscription_;
  };

  std::unique_ptr<Subscription> Subscribe(
      const rpc::Target& target, CastReceived on_cast,
      std::function<void(absl::Status)> ready) override {
    absl::MutexLock lock(&subscriptions_mu_);
    subscribed_target_ = target;
    on_cast_ = std::move(on_cast);
    return Subscribed<FakeSubscription>(std::move(ready));
  }

  // A notification sent: what the notifier got; `sent` runs at once with
  // notify_result().
  struct Notified {
    std::string exchange, topic, event_type, priority, publisher_id, payload;
  };
  void NotifyAsync(absl::string_view exchange, absl::string_view topic,
                   const oslo::OutgoingNotification& notification,
                   NotificationSent sent) override {
    absl::Status result;
    {
      absl::MutexLock lock(&mu_);
      notified_.push_back({std::string(exchange), std::string(topic),
                           std::string(notification.event_type),
                           std::string(notification.priority),
                           std::string(notification.publisher_id),
                           std::string(notification.payload_json)});
      result = notify_result_;
    }
    sent(result);
  }
  std::vector<Notified> notified() {
    absl::MutexLock lock(&mu_);
    return notified_;
  }
  void set_notify_result(absl::Status result) {
    absl::MutexLock lock(&mu_);
    notify_result_ = std::move(result);
  }

  std::unique_ptr<NotificationSubscription> SubscribeNotifications(
      const NotificationFilter& filter, NotificationReceived on_notification,
      std::function<void(absl::Status)> ready) override {
    absl::MutexLock lock(&subscriptions_mu_);
    notification_filter_ = filter;
    on_notification_ = std::move(on_notification);
    return Subscribed<FakeNotificationSubscription>(std::move(ready));
  }
  NotificationFilter notification_filter() {
    absl::MutexLock lock(&subscriptions_mu_);
    return notification_filter_;
  }
  bool Deliver(const oslo::Notification& notification) {
    return RunSubscriber(on_notification_, notification);
  }

  // The test's side. The request `n` (0-based, in arrival order) once it
  // came; null after kWait. Its recorded fields do not change.
  const Request* WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    const auto arrived = [&] { return requests_.size() > n; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&arrived), kWait)) return nullptr;
    return &requests_[n];
  }
  size_t size() {
    absl::MutexLock lock(&mu_);
    return requests_.size();
  }
  bool WaitCancelled(size_t n) {
    absl::MutexLock lock(&mu_);
    const auto cancelled = [&] {
      return requests_.size() > n && requests_[n].cancelled;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&cancelled), kWait);
  }
  // Ends request `n` as the RPC layer would; false (and nothing runs) when it
  // ended already.
  bool Reply(size_t n, absl::StatusOr<oslo::Reply> reply) {
    Request* request = Finish(n);
    if (request == nullptr) return false;
    request->call_done(std::move(reply));
    return true;
  }
  bool Published(size_t n, const absl::Status& status) {
    Request* request = Finish(n);
    if (request == nullptr) return false;
    request->cast_done(status);
    return true;
  }
  // One server's reply to gather `n`, which has not ended.
  void GatherOne(size_t n, absl::StatusOr<oslo::Reply> reply) {
    OsloClient::GatherReply* on_reply;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_FALSE(requests_[n].finished);
      on_reply = &requests_[n].on_reply;
    }
    (*on_reply)(std::move(reply));
  }
  bool GatherEnd(size_t n, const absl::Status& status, GatherSummary summary) {
    Request* request = Finish(n);
    if (request == nullptr) return false;
    request->gather_done(status, summary);
    return true;
  }

  // The subscription's side: false when there is none (it was destroyed).
  bool WaitSubscribed() {
    absl::MutexLock lock(&subscriptions_mu_);
    const auto subscribed = [&] { return subscriptions_ > 0; };
    return subscriptions_mu_.AwaitWithTimeout(absl::Condition(&subscribed),
                                              kWait);
  }
  // As the real subscription does, under its lock.
  bool Ready(const absl::Status& status) {
    return RunSubscriber(ready_, status);
  }
  bool Cast(const oslo::Request& cast) { return RunSubscriber(on_cast_, cast); }
  // True once no subscription lives (false after kWait).
  bool WaitUnsubscribed() {
    absl::MutexLock lock(&subscriptions_mu_);
    const auto none = [&] { return live_subscriptions_ == 0; };
    return subscriptions_mu_.AwaitWithTimeout(absl::Condition(&none), kWait);
  }
  rpc::Target subscribed_target() {
    absl::MutexLock lock(&subscriptions_mu_);
    return subscribed_target_;
  }

 private:
  // Counts a new subscription, whose `ready` the test runs.
  template <typename Fake>
  std::unique_ptr<Fake> Subscribed(std::function<void(absl::Status)> ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(subscriptions_mu_) {
    ++live_subscriptions_;
    ++subscriptions_;
    ready_ = std::move(ready);
    return std::make_unique<Fake>(this);
  }
  // Runs a subscription's callback as the real ones do, under its lock;
  // false when the subscription is gone.
  template <typename Callback, typename Arg>
  bool RunSubscriber(const Callback& callback, const Arg& arg) {
    absl::MutexLock lock(&subscriptions_mu_);
    if (!callback) return false;
    callback(arg);
    return true;
  }

  static Request Make(Kind kind, const rpc::CallSpec& spec,
                      absl::string_view method, absl::string_view args_json,
                      const rapidjson::Value* context) {
    Request request{.kind = kind,
                    .spec = spec,
                    .method = std::string(method),
                    .args = std::string(args_json)};
    if (context != nullptr && context->HasMember("request_id")) {
      request.request_id = (*context)["request_id"].GetString();
    }
    return request;
  }
  CallId Add(Request request) {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::move(request));
    return absl::StrCat(requests_.size() - 1);
  }
  // Request `n`, now finished, for its `done` to run; null when it was.
  Request* Finish(size_t n) {
    absl::MutexLock lock(&mu_);
    if (requests_.size() <= n || requests_[n].finished) return nullptr;
    requests_[n].finished = true;
    return &requests_[n];
  }

  absl::Mutex mu_;
  std::deque<Request> requests_ ABSL_GUARDED_BY(mu_);  // stable addresses
  std::vector<Notified> notified_ ABSL_GUARDED_BY(mu_);
  absl::Status notify_result_ ABSL_GUARDED_BY(mu_);

  absl::Mutex subscriptions_mu_;
  int subscriptions_ ABSL_GUARDED_BY(subscriptions_mu_) = 0;
  int live_subscriptions_ ABSL_GUARDED_BY(subscriptions_mu_) = 0;
  rpc::Target subscribed_target_ ABSL_GUARDED_BY(subscriptions_mu_);
  CastReceived on_cast_ ABSL_GUARDED_BY(subscriptions_mu_);
  NotificationFilter notification_filter_ ABSL_GUARDED_BY(subscriptions_mu_);
  NotificationReceived on_notification_ ABSL_GUARDED_BY(subscriptions_mu_);
  std::function<void(absl::Status)> ready_ ABSL_GUARDED_BY(subscriptions_mu_);
};

// Runfiles path; see BUILD.
constexpr char kComputeSet[] =
    "proto/examples/compute_proto_codegen.descriptor_set.pb";
constexpr char kEventsSet[] =
    "tests/gateway/reactor_test_proto_codegen.descriptor_set.pb";

const RouteTable& Routes() { return TestRoutes({kComputeSet, kEventsSet}); }

const ErrorMapper& Errors() {
  static const ErrorMapper* const errors =
      new ErrorMapper(*ErrorMapper::Create("", /*include_tracebacks=*/false));
  return *errors;
}

oslo::Reply ReplyWith(absl::string_view result_json) {
  absl::StatusOr<oslo::Reply> reply = oslo::Reply::Decode(
      oslo::EncodeReply({.result_json = result_json, .msg_id = "m1"}));
  EXPECT_TRUE(reply.ok()) << reply.status();
  return *std::move(reply);
}

oslo::Request CastOf(absl::string_view method, absl::string_view args_json) {
  absl::StatusOr<oslo::Request> cast = oslo::Request::Decode(absl::StrCat(
      R"({"method": ")", method, R"(", "args": )", args_json, "}"));
  EXPECT_TRUE(cast.ok()) << cast.status();
  return *std::move(cast);
}

// (reason, domain) of the google.rpc.ErrorInfo in a status's details.
std::pair<std::string, std::string> ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status details;
  google::rpc::ErrorInfo info;
  if (!details.ParseFromString(status.error_details()) ||
      details.details_size() != 1 || !details.details(0).UnpackTo(&info)) {
    return {};
  }
  return {info.reason(), info.domain()};
}

// A status the bridge raised itself: `code`, and an ErrorInfo with `reason`
// in the bridge's domain.
void ExpectBridgeError(const grpc::Status& status, grpc::StatusCode code,
                       absl::string_view reason) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_EQ(
      ErrorInfoOf(status),
      std::make_pair(std::string(reason), std::string(kBridgeErrorDomain)));
}

std::string HeaderOf(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    absl::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end()
             ? ""
             : std::string(it->second.data(), it->second.size());
}

// One unary call in flight from the test's client.
template <typename Request, typename Response>
struct AsyncCall {
  grpc::ClientContext context;
  Request request;
  Response response;
  grpc::Status status;
  absl::Notification done;

  grpc::Status Wait() {
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return status;
  }
};
using PingStream =
    std::unique_ptr<grpc::ClientReader<examples::compute::PingReply>>;
using WatchStream =
    std::unique_ptr<grpc::ClientReader<examples::compute::InstanceEvent>>;
using GetInstanceCall = AsyncCall<examples::compute::GetInstanceRequest,
                                  examples::compute::Instance>;

class ReactorTest : public ::testing::Test {
 protected:
  ReactorTest() {
    env_.routes = &Routes();
    env_.rpc = &fake_;
    env_.errors = &Errors();
    env_.stats = &stats_;
    env_.rpc_response_timeout = absl::Seconds(30);
  }

  // Serves env_ as the test set it, as grpc_amqp_bridge does.
  void Start() {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    service_ = std::make_unique<BridgeService>(env_, /*threads=*/1, &builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    service_->Start();
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = Compute::NewStub(channel);
    events_ = gw::reactor::Events::NewStub(channel);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
      server_->Wait();
      service_->Stop();
    }
    // Every call ended gave its slot back: nothing leaked.
    EXPECT_TRUE(WaitNoneInFlight());
    EXPECT_TRUE(fake_.WaitUnsubscribed());
  }

  std::unique_ptr<GetInstanceCall> GetInstance(
      const std::string& uuid, std::optional<absl::Duration> timeout = {}) {
    auto call = std::make_unique<GetInstanceCall>();
    call->request.set_instance_uuid(uuid);
    call->context.AddMetadata("x-request-id", "req-test-1");
    if (timeout.has_value()) {
      call->context.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
    }
    GetInstanceCall* raw = call.get();
    stub_->async()->GetInstance(&raw->context, &raw->request, &raw->response,
                                [raw](grpc::Status status) {
                                  raw->status = std::move(status);
                                  raw->done.Notify();
                                });
    return call;
  }

  // The status a GetInstance call ends with when the RPC layer answers it
  // with `reply`.
  grpc::Status GetInstanceAnswered(absl::StatusOr<oslo::Reply> reply) {
    const size_t n = fake_.size();
    std::unique_ptr<GetInstanceCall> call = GetInstance("vm-1");
    if (fake_.WaitFor(n) == nullptr) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "no request came");
    }
    fake_.Reply(n, std::move(reply));
    return call->Wait();
  }

  // Serves, and starts a PingAll stream whose gather the fake has as its
  // request 0.
  PingStream StartPingAll(grpc::ClientContext* context) {
    Start();
    PingStream stream = stub_->PingAll(context, {});
    EXPECT_NE(fake_.WaitFor(0), nullptr);
    return stream;
  }

  // Serves, and starts a WatchEvents stream the fake has subscribed.
  WatchStream StartWatchEvents(grpc::ClientContext* context) {
    Start();
    WatchStream stream = stub_->WatchEvents(context, {});
    EXPECT_TRUE(fake_.WaitSubscribed());
    return stream;
  }

  // Waits until every call's OnDone ran (it runs after the client has the
  // status).
  bool WaitNoneInFlight() {
    const absl::Time until = absl::Now() + kWait;
    while (stats_.in_flight.load() != 0 && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return stats_.in_flight.load() == 0;
  }

  FakeOsloClient fake_;
  GatewayStats stats_;
  GatewayEnv env_;
  std::unique_ptr<BridgeService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Compute::Stub> stub_;
  std::unique_ptr<gw::reactor::Events::Stub> events_;
};

// Unary calls --------------------------------------------------------------

TEST_F(ReactorTest, AUnaryCallSendsTheRoutesRequestAndReturnsTheReply) {
  Start();
  std::unique_ptr<GetInstanceCall> call = GetInstance("vm-1");
  const FakeOsloClient::Request* sent = fake_.WaitFor(0);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->kind, FakeOsloClient::Kind::kCall);
  EXPECT_EQ(sent->method, "get_instance");
  EXPECT_EQ(sent->args, R"({"instance_uuid": "vm-1"})");
  EXPECT_EQ(sent->spec.target.topic, "compute");
  EXPECT_EQ(sent->spec.target.version, "5.0");
  EXPECT_EQ(sent->request_id, "req-test-1");
  ASSERT_TRUE(fake_.Reply(0, ReplyWith(R"({"uuid": "vm-1", "name": "one"})")));
  ASSERT_TRUE(call->Wait().ok()) << call->status.error_message();
  EXPECT_EQ(call->response.uuid(), "vm-1");
  EXPECT_EQ(call->response.name(), "one");
  // The request id comes back under the one header name.
  EXPECT_EQ(HeaderOf(call->context.GetServerInitialMetadata(),
                     kResponseRequestIdHeader),
            "req-test-1");
}

TEST_F(ReactorTest, TheDeadlineReachesTheRpcLayerAsTheCallTimeout) {
  Start();
  std::unique_ptr<GetInstanceCall> with_deadline =
      GetInstance("vm-1", absl::Seconds(5));
  const FakeOsloClient::Request* sent = fake_.WaitFor(0);
  ASSERT_NE(sent, nullptr);
  // gRPC sends the deadline as a timeout rounded up (grpc-timeout): the
  // server's may be a few milliseconds later than the client's.
  EXPECT_LE(sent->spec.timeout, absl::Milliseconds(5100));
  EXPECT_GT(sent->spec.timeout, absl::Seconds(4));
  // No deadline: the bridge's rpc_response_timeout.
  std::unique_ptr<GetInstanceCall> without = GetInstance("vm-2");
  sent = fake_.WaitFor(1);
  ASSERT_NE(sent, nullptr);
  EXPECT_LE(sent->spec.timeout, absl::Seconds(30));
  EXPECT_GT(sent->spec.timeout, absl::Seconds(29));
  fake_.Reply(0, ReplyWith("{}"));
  fake_.Reply(1, ReplyWith("{}"));
  EXPECT_TRUE(with_deadline->Wait().ok());
  EXPECT_TRUE(without->Wait().ok());
}

TEST_F(ReactorTest, TheRpcLayersTimeoutIsDeadlineExceeded) {
  Start();
  const grpc::Status status = GetInstanceAnswered(
      absl::DeadlineExceededError("no reply to get_instance"));
  ExpectBridgeError(status, grpc::StatusCode::DEADLINE_EXCEEDED,
                    "DEADLINE_EXCEEDED");
  EXPECT_EQ(status.error_message(), "no reply to get_instance");
}

TEST_F(ReactorTest, AReplyAfterTheDeadlineIsDeadlineExceeded) {
  env_.rpc_response_timeout = absl::Milliseconds(200);  // the client has none
  Start();
  std::unique_ptr<GetInstanceCall> call = GetInstance("vm-1");
  ASSERT_NE(fake_.WaitFor(0), nullptr);
  absl::SleepFor(absl::Milliseconds(300));  // a timer that ran late
  ASSERT_TRUE(fake_.Reply(0, ReplyWith(R"({"uuid": "vm-1"})")));
  const grpc::Status status = call->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("after the deadline"));
}

TEST_F(ReactorTest, AnExpiredClientDeadlineCancelsThePendingCall) {
  Start();
  std::unique_ptr<GetInstanceCall> call =
      GetInstance("vm-1", absl::Milliseconds(300));
  ASSERT_NE(fake_.WaitFor(0), nullptr);
  EXPECT_EQ(call->Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // gRPC cancels the server side: the reply slot is given up at once.
  EXPECT_TRUE(fake_.WaitCancelled(0));
  EXPECT_FALSE(fake_.Reply(0, ReplyWith("{}")));  // its done ran already
  EXPECT_TRUE(WaitNoneInFlight());
  EXPECT_EQ(stats_.failed_calls.load(), 1);
}

TEST_F(ReactorTest, AClientCancellingCancelsThePendingCall) {
  Start();
  std::unique_ptr<GetInstanceCall> call = GetInstance("vm-1");
  ASSERT_NE(fake_.WaitFor(0), nullptr);
  call->context.TryCancel();
  EXPECT_EQ(call->Wait().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(fake_.WaitCancelled(0));
  EXPECT_FALSE(fake_.Reply(0, ReplyWith("{}")));
  EXPECT_TRUE(WaitNoneInFlight());
}

// A reply and the client's cancellation at the same moment, many times: the
// call ends once, either way, and neither side meets a deleted call (ASan
// runs this test too); every call gives its slot back.
TEST_F(ReactorTest, AReplyRacingTheClientsCancellationEndsTheCallOnce) {
  Start();
  constexpr size_t kCalls = 200;
  for (size_t i = 0; i < kCalls; ++i) {
    std::unique_ptr<GetInstanceCall> call = GetInstance("vm-1");
    ASSERT_NE(fake_.WaitFor(i), nullptr);
    std::thread reply([this, i] { fake_.Reply(i, ReplyWith("{}")); });
    call->context.TryCancel();
    reply.join();
    const grpc::StatusCode code = call->Wait().error_code();
    EXPECT_TRUE(code == grpc::StatusCode::OK ||
                code == grpc::StatusCode::CANCELLED)
        << code;
  }
  EXPECT_TRUE(WaitNoneInFlight());
  EXPECT_EQ(stats_.calls.load(), static_cast<int64_t>(kCalls));
}

// Errors -------------------------------------------------------------------

TEST_F(ReactorTest, AnOsloFailureIsItsCodeWithTheExceptionClass) {
  Start();
  const grpc::Status status = GetInstanceAnswered(oslo::FailureToStatus(
      oslo::ServiceFailure("nova.exception", "InstanceNotFound",
                           "Instance vm-404 could not be found.")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "Instance vm-404 could not be found.");
  EXPECT_EQ(ErrorInfoOf(status), std::make_pair(std::string("InstanceNotFound"),
                                                std::string("nova.exception")));
}

TEST_F(ReactorTest, NoServerIsUnavailable) {
  Start();
  const grpc::Status status = GetInstanceAnswered(
      absl::UnavailableError("no queue is bound to compute"));
  ExpectBridgeError(status, grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE");
}

TEST_F(ReactorTest, AVersionCapIsFailedPreconditionVersionCapped) {
  Start();
  // The status the RPC layer's caps give a 5.1 method under a 5.0 cap.
  rpc::VersionCaps caps;
  ASSERT_TRUE(caps.Set("compute", "5.0").ok());
  const absl::Status capped =
      caps.Choose("compute", "get_diagnostics", "5.1", "").status();
  ASSERT_EQ(capped.code(), absl::StatusCode::kFailedPrecondition);
  AsyncCall<examples::compute::GetDiagnosticsRequest,
            examples::compute::Diagnostics>
      call;
  stub_->async()->GetDiagnostics(&call.context, &call.request, &call.response,
                                 [&call](grpc::Status status) {
                                   call.status = std::move(status);
                                   call.done.Notify();
                                 });
  const FakeOsloClient::Request* sent = fake_.WaitFor(0);
  ASSERT_NE(sent, nullptr);
  // The route's fallback goes with the request, for the caps to pick.
  EXPECT_EQ(sent->spec.target.version, "5.1");
  EXPECT_EQ(sent->spec.fallback_version, "5.0");
  fake_.Reply(0, capped);
  const grpc::Status status = call.Wait();
  ExpectBridgeError(status, grpc::StatusCode::FAILED_PRECONDITION,
                    rpc::kVersionCappedReason);
}

TEST_F(ReactorTest, ACastGoesToTheServerFieldsHostAndEndsWhenPublished) {
  Start();
  using RebootCall = AsyncCall<examples::compute::RebootInstanceRequest,
                               google::protobuf::Empty>;
  RebootCall ok, failed;
  for (RebootCall* call : {&ok, &failed}) {
    call->request.set_host("host1");
    call->request.set_instance_uuid("vm-1");
    stub_->async()->RebootInstance(&call->context, &call->request,
                                   &call->response,
                                   [call](grpc::Status status) {
                                     call->status = std::move(status);
                                     call->done.Notify();
                                   });
    ASSERT_NE(fake_.WaitFor(call == &ok ? 0 : 1), nullptr);
  }
  const FakeOsloClient::Request* sent = fake_.WaitFor(0);
  EXPECT_EQ(sent->kind, FakeOsloClient::Kind::kCast);
  EXPECT_EQ(sent->spec.target.server, "host1");
  // The server_field routes; it is no argument.
  EXPECT_THAT(sent->args, HasSubstr(R"("instance_uuid": "vm-1")"));
  EXPECT_THAT(sent->args, Not(HasSubstr("host")));
  fake_.Published(0, absl::OkStatus());
  fake_.Published(1, absl::UnavailableError("the broker is unreachable"));
  EXPECT_TRUE(ok.Wait().ok());
  EXPECT_EQ(failed.Wait().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// max_inflight ---------------------------------------------------------------

TEST_F(ReactorTest, ACallOverMaxInflightIsResourceExhausted) {
  env_.max_inflight = 1;
  Start();
  std::unique_ptr<GetInstanceCall> first = GetInstance("vm-1");
  ASSERT_NE(fake_.WaitFor(0), nullptr);
  // Unary and streaming calls share the slots.
  std::unique_ptr<GetInstanceCall> second = GetInstance("vm-2");
  grpc::Status status = second->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_inflight"));
  grpc::ClientContext context;
  PingStream stream = stub_->PingAll(&context, {});
  examples::compute::PingReply reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_EQ(stream->Finish().error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(fake_.size(), 1u);  // neither reached the RPC layer
  EXPECT_EQ(stats_.rejected_calls.load(), 2);
  // The first ends: its slot is free again.
  fake_.Reply(0, ReplyWith("{}"));
  EXPECT_TRUE(first->Wait().ok());
  ASSERT_TRUE(WaitNoneInFlight());
  std::unique_ptr<GetInstanceCall> third = GetInstance("vm-3");
  ASSERT_NE(fake_.WaitFor(1), nullptr);
  fake_.Reply(1, ReplyWith("{}"));
  EXPECT_TRUE(third->Wait().ok());
}

// GATHER ---------------------------------------------------------------------

TEST_F(ReactorTest, AGatherStreamsRepliesAsTheyComeUntilTheWindowEnds) {
  Start();
  grpc::ClientContext context;
  context.AddMetadata("x-amqp-gather-window-ms", "500");
  context.AddMetadata("x-amqp-expect", "5");
  context.AddMetadata("x-request-id", "req-gather-1");
  examples::compute::PingRequest request;
  request.set_payload("hi");
  PingStream stream = stub_->PingAll(&context, request);
  const FakeOsloClient::Request* sent = fake_.WaitFor(0);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->kind, FakeOsloClient::Kind::kGather);
  EXPECT_EQ(sent->method, "ping_all");
  EXPECT_EQ(sent->args, R"({"payload": "hi"})");
  EXPECT_EQ(sent->options.window, absl::Milliseconds(500));
  EXPECT_EQ(sent->options.expect, 5);
  EXPECT_EQ(sent->request_id, "req-gather-1");
  // Each reply reaches the client before the next one exists.
  examples::compute::PingReply reply;
  fake_.GatherOne(0, ReplyWith(R"({"host": "a", "payload": "hi"})"));
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.host(), "a");
  EXPECT_EQ(
      HeaderOf(context.GetServerInitialMetadata(), kResponseRequestIdHeader),
      "req-gather-1");
  fake_.GatherOne(0, oslo::FailureToStatus(oslo::ServiceFailure(
                         "builtins", "ValueError", "host b failed")));
  fake_.GatherOne(0, ReplyWith(R"({"host": "c", "payload": "hi"})"));
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.host(), "c");
  // The window closed: the stream ends OK, with the counts.
  ASSERT_TRUE(
      fake_.GatherEnd(0, absl::OkStatus(), {.replies = 3, .failures = 1}));
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(HeaderOf(context.GetServerTrailingMetadata(), "x-amqp-replies"),
            "3");
  EXPECT_EQ(HeaderOf(context.GetServerTrailingMetadata(), "x-amqp-failures"),
            "1");
}

TEST_F(ReactorTest, AGatherWindowEndsBeforeTheDeadline) {
  env_.gather_window = absl::Seconds(30);
  Start();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  PingStream stream = stub_->PingAll(&context, {});
  const FakeOsloClient::Request* sent = fake_.WaitFor(0);
  ASSERT_NE(sent, nullptr);
  // What is left of the 2 s, less a margin of at most 200 ms.
  EXPECT_LT(sent->options.window, absl::Milliseconds(1980));
  EXPECT_GT(sent->options.window, absl::Milliseconds(1500));
  EXPECT_LE(sent->options.window, sent->spec.timeout);
  ASSERT_TRUE(fake_.GatherEnd(0, absl::OkStatus(), {}));
  examples::compute::PingReply reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(HeaderOf(context.GetServerTrailingMetadata(), "x-amqp-replies"),
            "0");
}

TEST_F(ReactorTest, AGatherThatReachedNoServerIsUnavailable) {
  grpc::ClientContext context;
  PingStream stream = StartPingAll(&context);
  fake_.GatherEnd(0, absl::UnavailableError("no server of compute"), {});
  ExpectBridgeError(stream->Finish(), grpc::StatusCode::UNAVAILABLE,
                    "UNAVAILABLE");
}

TEST_F(ReactorTest, CancellingAGatherCancelsItInTheRpcLayer) {
  grpc::ClientContext context;
  PingStream stream = StartPingAll(&context);
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(fake_.WaitCancelled(0));
  EXPECT_FALSE(fake_.GatherEnd(0, absl::OkStatus(), {}));
  EXPECT_TRUE(WaitNoneInFlight());
}

// SUBSCRIBE ------------------------------------------------------------------

TEST_F(ReactorTest, ASubscriptionStreamsItsMethodsCastsAndCountsUnknownKeys) {
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-watch-1");
  WatchStream stream = StartWatchEvents(&context);
  EXPECT_EQ(fake_.subscribed_target().topic, "compute");
  ASSERT_TRUE(fake_.Ready(absl::OkStatus()));
  stream->WaitForInitialMetadata();
  EXPECT_EQ(
      HeaderOf(context.GetServerInitialMetadata(), kResponseRequestIdHeader),
      "req-watch-1");
  // Another method's cast on the same topic is not this stream's.
  ASSERT_TRUE(fake_.Cast(CastOf("set_host_enabled", R"({"enabled": true})")));
  // A key the response lacks is ignored and counted, as in a result.
  ASSERT_TRUE(fake_.Cast(CastOf(
      "instance_event",
      R"({"instance_uuid": "vm-1", "event": "rebooted", "shoe_size": 44})")));
  examples::compute::InstanceEvent event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.instance_uuid(), "vm-1");
  EXPECT_EQ(event.event(), "rebooted");
  EXPECT_EQ(stats_.unknown_result_keys.load(), 1);
  // Cancelling the stream ends the subscription.
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitNoneInFlight());
  EXPECT_TRUE(fake_.WaitUnsubscribed());
  EXPECT_FALSE(fake_.Cast(CastOf("instance_event", "{}")));
}

TEST_F(ReactorTest, ASubscriptionWithoutABrokerIsUnavailable) {
  grpc::ClientContext context;
  WatchStream stream = StartWatchEvents(&context);
  ASSERT_TRUE(fake_.Ready(absl::UnavailableError("no broker")));
  examples::compute::InstanceEvent event;
  EXPECT_FALSE(stream->Read(&event));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(WaitNoneInFlight());
}

// Notifications ----------------------------------------------------------

TEST_F(ReactorTest, ANotifyMethodSendsItsNotificationAndEndsWhenConfirmed) {
  env_.publisher_id = "grpc-amqp-bridge.test";
  Start();
  grpc::ClientContext context;
  gw::reactor::Created created;
  created.set_instance_id("vm-1");
  created.set_memory_mb(512);
  google::protobuf::Empty empty;
  ASSERT_TRUE(events_->InstanceCreated(&context, created, &empty).ok());
  grpc::ClientContext refused;
  refused.AddMetadata("x-amqp-publisher-id", "api.host1");
  fake_.set_notify_result(absl::UnavailableError("nobody listens"));
  ExpectBridgeError(events_->InstanceCreated(&refused, created, &empty),
                    grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE");
  const std::vector<FakeOsloClient::Notified> notified = fake_.notified();
  ASSERT_EQ(notified.size(), 2u);
  EXPECT_EQ(notified[0].exchange, "openstack");
  EXPECT_EQ(notified[0].topic, "notifications");
  EXPECT_EQ(notified[0].event_type, "compute.instance.create.end");
  EXPECT_EQ(notified[0].priority, "INFO");
  EXPECT_EQ(notified[0].publisher_id, "grpc-amqp-bridge.test");
  EXPECT_EQ(notified[0].payload,
            R"({"instance_id": "vm-1", "memory_mb": 512})");
  EXPECT_EQ(notified[1].publisher_id, "api.host1");
  EXPECT_EQ(fake_.size(), 0u);  // no RPC
}

TEST_F(ReactorTest, ANotificationsStreamSendsEachMatchingNotification) {
  Start();
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<gw::reactor::Event>> stream =
      events_->WatchCreated(&context, google::protobuf::Empty());
  ASSERT_TRUE(fake_.WaitSubscribed());
  const OsloClient::NotificationFilter filter = fake_.notification_filter();
  EXPECT_EQ(filter.exchange, "openstack");
  EXPECT_EQ(filter.event_type, "compute.instance.create.*");
  EXPECT_THAT(filter.routing_keys, ::testing::Contains("notifications.info"));
  ASSERT_TRUE(fake_.Ready(absl::OkStatus()));
  stream->WaitForInitialMetadata();
  EXPECT_FALSE(
      HeaderOf(context.GetServerInitialMetadata(), kResponseRequestIdHeader)
          .empty());
  absl::StatusOr<oslo::Notification> notification =
      oslo::Notification::Decode(oslo::EncodeNotification(
          {.publisher_id = "compute.host1",
           .event_type = "compute.instance.create.end",
           .payload_json = R"({"instance_id": "vm-1", "memory_mb": 512})"}));
  ASSERT_TRUE(notification.ok()) << notification.status();
  ASSERT_TRUE(fake_.Deliver(*notification));
  gw::reactor::Event event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.event_type(), "compute.instance.create.end");
  EXPECT_EQ(event.publisher_id(), "compute.host1");
  EXPECT_EQ(event.priority(), "INFO");
  EXPECT_EQ(event.payload().instance_id(), "vm-1");
  EXPECT_EQ(event.payload().memory_mb(), 512);
  EXPECT_EQ(stats_.notifications_streamed.load(), 1);
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(fake_.WaitUnsubscribed());
}

}  // namespace
}  // namespace amqp::gateway
