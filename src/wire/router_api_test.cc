// wire::TicketGrant::Dump is ToJson().dump() byte for byte, strings that need escaping included.
#include "wire/router_api.h"

#include <gtest/gtest.h>

namespace lt::wire {
namespace {

TEST(TicketGrantTest, DumpWithTheTicketJsonIsToJsonDumped) {
  Bytes k(32, 0);
  k[31] = 7;
  auto key = crypto::PrivateKey::FromBytes(k);
  ASSERT_TRUE(key.ok());
  TicketGrant g;
  g.ticket.ticket.user = key->GetAddress();
  g.ticket.ticket.session_id[3] = 9;
  g.ticket.ticket.max_seconds = 60;
  g.ticket.router_sig[0] = 0xab;
  g.endpoint = "127.0.0.1:7070";
  for (const char* model : {"acme/llama:v1", "we\"ird\\name\n\u00e9"}) {
    g.model = model;
    EXPECT_EQ(g.Dump(ToJson(g.ticket.ticket).dump()), g.ToJson().dump()) << model;
  }
}

}  // namespace
}  // namespace lt::wire
