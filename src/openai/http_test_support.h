// Test support for the OpenAI-compatible servers (`lt client serve`'s local API and
// `lt engine serve`): OpenAI's error shape, and what the HTTP layer refuses by itself (before
// any route runs) answered in that shape. Header-only, for tests that link net.
#ifndef LT_OPENAI_HTTP_TEST_SUPPORT_H_
#define LT_OPENAI_HTTP_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "net/http.h"
#include "net/http_test_support.h"

namespace lt::openai::testing {

// True when `body` is {"error":{"message": string, "type": string, "param", "code"}}.
inline bool IsOpenAiError(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
         j["error"]["message"].is_string() && j["error"].contains("type") && j["error"]["type"].is_string() &&
         j["error"].contains("param") && j["error"].contains("code");
}

// A server whose HTTP cap is 4 MiB: a 5 MiB body is refused with 413 and a PUT with 404
// unknown_url, both in OpenAI's shape.
inline void ExpectHttpLayerRefusalsInOpenAiShape(net::HttpClient& c, int port) {
  auto huge = c.Post("/v1/chat/completions", std::string(5 << 20, 'x'));
  ASSERT_TRUE(huge.ok()) << huge.error().message;
  EXPECT_EQ(huge->status, 413);
  EXPECT_TRUE(IsOpenAiError(huge->body)) << huge->body;
  net::testing::RawConn raw(port);
  ASSERT_TRUE(raw.Send("PUT /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto put = raw.Read();
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->status, 404);
  EXPECT_TRUE(IsOpenAiError(put->body)) << put->body;
  EXPECT_EQ(nlohmann::json::parse(put->body, nullptr, false)["error"]["code"], "unknown_url") << put->body;
}

}  // namespace lt::openai::testing

#endif  // LT_OPENAI_HTTP_TEST_SUPPORT_H_
