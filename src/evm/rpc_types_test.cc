// The strict parsers of JSON-RPC answers: what a node sends is accepted, anything else is refused
// with the field named.
#include "evm/rpc_types.h"

#include <gtest/gtest.h>

namespace lt::evm {
namespace {

using nlohmann::json;

TEST(RpcTypesTest, ParsesAReceiptWithLogs) {
  json j = json::parse(R"({
    "transactionHash": "0x59b3bb31dac5cb7d5a4e6d02cc9725893a1d0c4d0bfc3c785ed4459787f6a7ca",
    "status": "0x1", "blockNumber": "0x1b4", "gasUsed": "0x5208", "effectiveGasPrice": "0x3b9aca00",
    "from": "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", "to": null,
    "contractAddress": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    "logs": [{"address": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
              "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"],
              "data": "0x00ff", "blockNumber": "0x1b4", "logIndex": "0x0",
              "transactionHash": "0x59b3bb31dac5cb7d5a4e6d02cc9725893a1d0c4d0bfc3c785ed4459787f6a7ca"}]})");
  auto r = ParseReceipt(j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->block_number, 436u);
  EXPECT_EQ(r->gas_used, 21000u);
  EXPECT_FALSE(r->to.has_value());
  ASSERT_TRUE(r->contract_address.has_value());
  ASSERT_EQ(r->logs.size(), 1u);
  EXPECT_EQ(HexEncode(r->logs[0].data), "00ff");
  j["status"] = "0x2";
  EXPECT_FALSE(ParseReceipt(j).ok());
  j["status"] = "0x0";
  j["logs"][0]["topics"] = json::array({"0x01", "0x02", "0x03", "0x04", "0x05"});
  EXPECT_FALSE(ParseReceipt(j).ok());
}

TEST(RpcTypesTest, QuantitiesAndDataAreStrict) {
  EXPECT_EQ(*ParseQuantity("0x0", "q"), U256(0));
  EXPECT_EQ(*ParseQuantityU64("0x7a69", "q"), 31337u);
  for (json bad : {json("7a69"), json("0x"), json(31337), json("0xzz"), json("0x" + std::string(65, '1'))}) {
    EXPECT_FALSE(ParseQuantity(bad, "q").ok()) << bad;
  }
  EXPECT_FALSE(ParseQuantityU64("0x10000000000000000", "q").ok());
  EXPECT_TRUE(ParseData("0x", "d")->empty());
  EXPECT_FALSE(ParseData("0x0", "d").ok());
  EXPECT_FALSE(ParseData("00", "d").ok());
  EXPECT_FALSE(ParseAddressField("0x1234", "a").ok());
  EXPECT_FALSE(ParseHashField(json(nullptr), "h").ok());
}

TEST(RpcTypesTest, TheEnvelopeMustMatchTheRequest) {
  auto ok = ParseRpcAnswer(R"({"jsonrpc":"2.0","id":7,"result":"0x1"})", 7);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->result, "0x1");
  EXPECT_FALSE(ParseRpcAnswer(R"({"jsonrpc":"2.0","id":8,"result":"0x1"})", 7).ok());
  EXPECT_FALSE(ParseRpcAnswer(R"({"id":7,"result":"0x1"})", 7).ok());
  EXPECT_FALSE(ParseRpcAnswer(R"({"jsonrpc":"2.0","id":7})", 7).ok());
  EXPECT_FALSE(ParseRpcAnswer("[1,2]", 7).ok());
  EXPECT_FALSE(ParseRpcAnswer("{", 7).ok());
  auto rev = ParseRpcAnswer(
      R"({"jsonrpc":"2.0","id":7,"error":{"code":3,"message":"execution reverted: custom error","data":"0x08c379a0"}})", 7);
  ASSERT_TRUE(rev.ok());
  ASSERT_TRUE(rev->error.has_value());
  EXPECT_TRUE(rev->error->IsRevert());
  EXPECT_EQ(HexEncode(rev->error->data), "08c379a0");
  auto other = ParseRpcAnswer(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"nonce too low"}})", 7);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->error->IsRevert());
}

}  // namespace
}  // namespace lt::evm
