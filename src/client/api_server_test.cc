// The local API's request handling that needs no network: per-request preferences (lt_* fields
// override the flags and are removed before the request is forwarded) and the error shape.
#include "client/api_server.h"

#include <gtest/gtest.h>

namespace lt::client {
namespace {

using nlohmann::json;

TEST(ApiServerTest, PreferencesFromExtraFieldsAreTakenOut) {
  Preferences p;
  p.max_price_per_second = *U256::FromMor("0.01");
  json body = {{"model", "m"},
               {"lt_max_price", "0.5"},
               {"lt_min_tps", 20},
               {"lt_want_seconds", 60},
               {"lt_max_latency_ms", 100}};
  auto st = TakePreferences(body, &p);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(p.max_price_per_second, *U256::FromMor("0.5"));
  EXPECT_EQ(p.min_tps, 20u);
  EXPECT_EQ(p.want_seconds, 60u);
  EXPECT_EQ(p.max_latency_ms, 100u);
  EXPECT_EQ(body, json({{"model", "m"}}));
  Preferences q = p;
  json numeric = {{"lt_max_price", 0.25}};
  ASSERT_TRUE(TakePreferences(numeric, &q).ok());
  EXPECT_EQ(q.max_price_per_second, *U256::FromMor("0.25"));
  EXPECT_NE(p.Key(), q.Key());
}

TEST(ApiServerTest, BadPreferencesNameTheField) {
  Preferences p;
  for (json body : {json{{"lt_max_price", "free"}}, json{{"lt_max_price", "0"}}, json{{"lt_min_tps", -1}},
                    json{{"lt_want_seconds", 0}}, json{{"lt_max_latency_ms", "fast"}}}) {
    const std::string field = body.begin().key();  // TakePreferences removes the fields it reads
    auto s = TakePreferences(body, &p);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_NE(s.error().message.find(field), std::string::npos) << s.error().message;
  }
}

TEST(ApiServerTest, ErrorsHaveTheOpenAiShape) {
  auto r = OpenAiErrorResponse(402, "no vault", "insufficient_quota", "no_vault");
  EXPECT_EQ(r.status, 402);
  json j = json::parse(r.body);
  EXPECT_EQ(j["error"]["message"], "no vault");
  EXPECT_EQ(j["error"]["type"], "insufficient_quota");
  EXPECT_EQ(j["error"]["code"], "no_vault");
  EXPECT_TRUE(j["error"]["param"].is_null());
}

}  // namespace
}  // namespace lt::client
