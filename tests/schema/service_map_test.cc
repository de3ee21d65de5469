#include "bridge/schema/service_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routes.pb.h"

namespace amqp::schema {
namespace {

const google::protobuf::ServiceDescriptor& Service(const std::string& name) {
  return *routes::Req::descriptor()->file()->FindServiceByName(name);
}

TEST(SnakeCaseTest, MatchesPythonNames) {
  EXPECT_EQ(SnakeCase("ComputeApi"), "compute_api");
  EXPECT_EQ(SnakeCase("GetInstance"), "get_instance");
  EXPECT_EQ(SnakeCase("GetHTTPStatus"), "get_http_status");
  EXPECT_EQ(SnakeCase("VolumeAPI"), "volume_api");
  EXPECT_EQ(SnakeCase("Ping2Host"), "ping2_host");
  EXPECT_EQ(SnakeCase("already_snake"), "already_snake");
}

TEST(ServiceMapTest, DefaultsWithoutOptions) {
  const auto& service = Service("VolumeAPI");
  EXPECT_FALSE(HasAmqpOptions(service));
  absl::StatusOr<ServiceMap> map = MapService(service);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->topic, "volume_api");
  EXPECT_EQ(map->exchange, "");  // the bridge's control_exchange
  EXPECT_EQ(map->version, "1.0");
  EXPECT_FALSE(map->namespace_.has_value());
  ASSERT_EQ(map->methods.size(), 2u);
  EXPECT_EQ(map->methods[0].oslo_name, "get_volume");
  EXPECT_EQ(map->methods[0].kind, MethodKind::kCall);
  EXPECT_EQ(map->methods[0].version, "1.0");
  EXPECT_EQ(map->methods[1].oslo_name, "get_http_status");
}

TEST(ServiceMapTest, OptionsOverrideDefaults) {
  const auto& service = Service("Scheduler");
  EXPECT_TRUE(HasAmqpOptions(service));
  absl::StatusOr<ServiceMap> map = MapService(service);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->topic, "scheduler");
  EXPECT_EQ(map->exchange, "nova");
  EXPECT_EQ(map->version, "4.5");
  EXPECT_EQ(map->namespace_, "baseapi");
  // 4.11 > 4.5: versions compare numerically, not as text.
  EXPECT_EQ(map->EndpointVersion(), "4.11");

  ASSERT_EQ(map->methods.size(), 5u);
  const MethodMap& select = map->methods[0];
  EXPECT_EQ(select.oslo_name, "select_destinations");
  EXPECT_EQ(select.version, "4.11");
  ASSERT_NE(select.result_field, nullptr);
  EXPECT_EQ(select.result_field->name(), "value");

  const MethodMap& notify = map->methods[1];
  EXPECT_EQ(notify.kind, MethodKind::kCast);
  ASSERT_NE(notify.server_field, nullptr);
  EXPECT_EQ(notify.server_field->name(), "host");
  EXPECT_EQ(notify.version, "4.5");

  EXPECT_EQ(map->methods[2].kind, MethodKind::kFanoutCast);
  EXPECT_EQ(map->methods[3].kind, MethodKind::kGather);
  EXPECT_EQ(map->methods[4].kind, MethodKind::kSubscribe);
  EXPECT_EQ(MethodKindName(map->methods[4].kind), "subscribe");
}

TEST(ServiceMapTest, StreamingRequestsFailOrAreSkipped) {
  absl::StatusOr<ServiceMap> strict = MapService(Service("Uploads"));
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find(
                "Uploads.Upload: client streaming has no oslo equivalent"),
            std::string::npos)
      << strict.status();

  absl::StatusOr<ServiceMap> lenient =
      MapService(Service("Uploads"), {.skip_streaming_requests = true});
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  ASSERT_EQ(lenient->methods.size(), 1u);
  EXPECT_EQ(lenient->methods[0].oslo_name, "get");
  ASSERT_EQ(lenient->unsupported.size(), 2u);
  EXPECT_EQ(lenient->unsupported[0].method->name(), "Upload");
  EXPECT_EQ(lenient->unsupported[1].reason,
            "bidirectional streaming has no oslo equivalent");
}

TEST(NotificationOptionsTest, NotifyAndNotificationsMethods) {
  absl::StatusOr<ServiceMap> map = MapService(Service("Events"));
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_EQ(map->methods.size(), 4u);

  const MethodMap& created = map->methods[0];
  EXPECT_EQ(created.kind, MethodKind::kNotify);
  EXPECT_EQ(MethodKindName(created.kind), "notify");
  ASSERT_TRUE(created.notification.has_value());
  EXPECT_TRUE(created.notification->send);
  EXPECT_EQ(created.notification->event_type, "compute.instance.create.end");
  EXPECT_EQ(created.notification->RoutingKeys(),
            std::vector<std::string>{"notifications.info"});

  const MethodMap& failed = map->methods[1];
  EXPECT_EQ(failed.notification->RoutingKeys(),
            std::vector<std::string>{"versioned_notifications.warn"});

  const MethodMap& watch = map->methods[2];
  EXPECT_EQ(watch.kind, MethodKind::kNotifications);
  EXPECT_FALSE(watch.notification->send);
  EXPECT_EQ(watch.notification->event_type, "*");
  EXPECT_EQ(watch.notification->priorities,
            (std::vector<std::string>{"audit", "debug", "info", "warn", "error",
                                      "critical", "sample"}));

  const MethodMap& errors = map->methods[3];
  EXPECT_EQ(errors.notification->event_type, "compute.*");
  EXPECT_EQ(errors.notification->RoutingKeys(),
            (std::vector<std::string>{"notifications.error",
                                      "notifications.critical"}));
}

TEST(NotificationOptionsTest, BadShapesNameMethodAndFix) {
  const std::pair<const char*, const char*> cases[] = {
      {"NotifyWithResponse",
       "NotifyWithResponse.Send: a notification has no answer, but the "
       "response is routes.Resp; return google.protobuf.Empty"},
      {"NotifyWithoutEventType",
       "NotifyWithoutEventType.Send: `notify` needs the event type it sends; "
       "set event_type"},
      {"NotifyBadPriority",
       "NotifyBadPriority.Watch: priority 'loud' is not an oslo priority; use "
       "one of audit, debug, info, warn, error, critical, sample"},
      {"NotificationsUnary",
       "NotificationsUnary.Watch: `stream: NOTIFICATIONS` streams "
       "notifications; declare `returns (stream ...)`"},
      {"NotificationsNoFields",
       "NotificationsNoFields.Watch: routes.Req has no field a notification "
       "fills; add some of event_type, publisher_id"},
      {"EventTypeOnCall",
       "EventTypeOnCall.Get: event_type, priority and notification_topic "
       "apply to notifications only"},
  };
  for (const auto& [service, expected] : cases) {
    absl::StatusOr<ServiceMap> map = MapService(Service(service));
    ASSERT_FALSE(map.ok()) << service;
    EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(map.status().message().find(expected), std::string::npos)
        << map.status();
    EXPECT_EQ(map.status().message().rfind("routes.proto: ", 0), 0u)
        << map.status();
  }
}

TEST(ServiceMapTest, FallbackVersionIsRead) {
  absl::StatusOr<ServiceMap> map = MapService(Service("Compute"));
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_EQ(map->methods.size(), 2u);
  EXPECT_EQ(map->methods[0].version, "6.0");
  EXPECT_EQ(map->methods[0].fallback_version, "5.0");
  EXPECT_EQ(map->methods[1].fallback_version, "");
}

TEST(ServiceMapTest, BadFallbackVersionsAreRefused) {
  absl::StatusOr<ServiceMap> same = MapService(Service("FallbackNotLower"));
  EXPECT_EQ(same.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(same.status().message()),
              ::testing::HasSubstr("FallbackNotLower.Reboot: fallback_version "
                                   "5.1 is not lower than the version 5.1"));
  absl::StatusOr<ServiceMap> alias = MapService(Service("FallbackNotAVersion"));
  EXPECT_EQ(alias.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(alias.status().message()),
              ::testing::HasSubstr("version 'zed' is not an oslo version"));
  absl::StatusOr<ServiceMap> subscribe =
      MapService(Service("FallbackOnSubscribe"));
  EXPECT_EQ(subscribe.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(subscribe.status().message()),
              ::testing::HasSubstr("a SUBSCRIBE method sends nothing"));
}

}  // namespace
}  // namespace amqp::schema
