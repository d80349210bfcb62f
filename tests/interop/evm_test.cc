// src/evm against ethers v6 (tests/interop/evm.mjs): seeded random ABI values of every kind
// (nested tuples and arrays included), EIP-1559 transactions, nested RLP and contract-creation
// addresses; ethers encodes and signs the same inputs, and the bytes must be equal. What ethers
// encodes, src/evm decodes to the values it started from. Skipped when node or ethers is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "evm/abi.h"
#include "evm/rlp.h"
#include "evm/transaction.h"
#include "support/process.h"
#include "util/random.h"

namespace lt::test {
namespace {

using json = nlohmann::json;
using evm::AbiType;
using evm::AbiValue;

class EvmInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = FindProgram("node");
    if (node_.empty()) GTEST_SKIP() << "node is not installed (make deps)";
    if (::access((std::string(LT_INTEROP_DIR) + "/node_modules/ethers").c_str(), F_OK) != 0) {
      GTEST_SKIP() << "ethers is not installed (make npm-deps)";
    }
    dir_ = TempDir("lt-evm-interop");
  }
  json Ethers(const json& cases) {
    std::string file = dir_ + "/cases.json";
    WriteFile(file, cases.dump());
    RunResult r = lt::test::Run(node_, {std::string(LT_INTEROP_DIR) + "/evm.mjs", file}, "", 120000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j.is_object() ? j : json::object();
  }

  AbiType RandomType(int depth) {
    int k = static_cast<int>(rng_.Uniform(depth >= 2 ? 8 : 11));
    switch (k) {
      case 0:
        return AbiType::Uint(8 * (1 + rng_.Uniform(32)));
      case 1:
        return AbiType::Int(8 * (1 + rng_.Uniform(32)));
      case 2:
        return AbiType::Address();
      case 3:
        return AbiType::Bool();
      case 4:
        return AbiType::FixedBytes(1 + rng_.Uniform(32));
      case 5:
        return AbiType::Bytes();
      case 6:
        return AbiType::String();
      case 7:
        return AbiType::Uint(256);
      case 8:
        return AbiType::Array(RandomType(depth + 1));
      case 9:
        return AbiType::FixedArray(RandomType(depth + 1), 1 + rng_.Uniform(3));
      default: {
        std::vector<AbiType> c;
        for (size_t i = 0, n = 1 + rng_.Uniform(4); i < n; ++i) c.push_back(RandomType(depth + 1));
        return AbiType::Tuple(std::move(c));
      }
    }
  }

  Bytes RandomBytes(size_t n) {
    Bytes b(n);
    rng_.Fill(b);
    return b;
  }

  AbiValue RandomValue(const AbiType& t) {
    using K = AbiType::Kind;
    switch (t.kind()) {
      case K::kUint:
      case K::kInt:
      case K::kAddress: {
        size_t bits = t.kind() == K::kAddress ? 160 : t.size();
        FixedBytes<32> w{};
        Bytes low = RandomBytes(bits / 8);
        if (rng_.Uniform(3) == 0) low.assign(bits / 8, 0), low.back() = static_cast<uint8_t>(rng_.Uniform(256));
        std::copy(low.begin(), low.end(), w.begin() + static_cast<std::ptrdiff_t>(32 - low.size()));
        if (t.kind() == K::kInt && (low[0] & 0x80) != 0) {
          std::fill(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(32 - low.size()), 0xff);
        }
        return AbiValue::Uint(U256::FromBigEndian(w));
      }
      case K::kBool:
        return AbiValue::Bool(rng_.Uniform(2) == 1);
      case K::kFixedBytes:
        return AbiValue::Blob(RandomBytes(t.size()));
      case K::kBytes:
        return AbiValue::Blob(RandomBytes(rng_.Uniform(70)));
      case K::kString: {
        std::string s;
        for (size_t i = 0, n = rng_.Uniform(40); i < n; ++i) {
          s += rng_.Uniform(10) == 0 ? std::string("\xc3\xa9") : std::string(1, static_cast<char>(' ' + rng_.Uniform(95)));
        }
        return AbiValue::Str(s);
      }
      case K::kArray: {
        std::vector<AbiValue> items;
        for (size_t i = 0, n = rng_.Uniform(4); i < n; ++i) items.push_back(RandomValue(t.element()));
        return AbiValue::List(std::move(items));
      }
      case K::kFixedArray: {
        std::vector<AbiValue> items;
        for (size_t i = 0; i < t.size(); ++i) items.push_back(RandomValue(t.element()));
        return AbiValue::List(std::move(items));
      }
      case K::kTuple: {
        std::vector<AbiValue> items;
        for (const auto& c : t.components()) items.push_back(RandomValue(c));
        return AbiValue::List(std::move(items));
      }
    }
    return AbiValue();
  }

  std::string node_, dir_;
  SeededRandom rng_{20260517};
};

TEST_F(EvmInteropTest, AbiEncodingsEqualEthersAndDecodeWhatEthersEncodes) {
  struct Case {
    std::vector<AbiType> types;
    std::vector<AbiValue> values;
    std::string ours;
  };
  std::vector<Case> cases;
  json in = {{"abi", json::array()}};
  for (int i = 0; i < 150; ++i) {
    Case c;
    json types = json::array(), values = json::array();
    for (size_t k = 0, n = 1 + rng_.Uniform(4); k < n; ++k) {
      AbiType t = RandomType(0);
      AbiValue v = RandomValue(t);
      types.push_back(t.Canonical());
      values.push_back(evm::AbiValueToJson(t, v));
      c.types.push_back(t);
      c.values.push_back(v);
    }
    auto enc = evm::AbiEncode(c.types, c.values);
    ASSERT_TRUE(enc.ok()) << enc.error().message;
    c.ours = HexEncode0x(*enc);
    in["abi"].push_back({{"types", types}, {"values", values}});
    cases.push_back(std::move(c));
  }
  json out = Ethers(in);
  ASSERT_EQ(out["abi"].size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(in["abi"][i].dump().substr(0, 400));
    EXPECT_EQ(out["abi"][i].get<std::string>(), cases[i].ours);
    auto back = evm::AbiDecode(cases[i].types, *HexDecode(out["abi"][i].get<std::string>()));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, cases[i].values);
  }
}

TEST_F(EvmInteropTest, SignedTransactionsEqualEthers) {
  json in = {{"txs", json::array()}, {"create", json::array()}, {"rlp", json::array()}};
  std::vector<evm::SignedEip1559Tx> ours;
  std::vector<crypto::Address> senders, creates;
  for (int i = 0; i < 40; ++i) {
    crypto::PrivateKey key = crypto::PrivateKey::Generate(rng_);
    evm::Eip1559Tx tx;
    tx.chain_id = rng_.Uniform(2) ? 31337 : 1 + rng_.Uniform(1'000'000);
    tx.nonce = rng_.Uniform(3) == 0 ? 0 : rng_.Uniform(1'000'000);
    tx.max_priority_fee_per_gas = U256(rng_.Uniform(5'000'000'000ULL));
    tx.max_fee_per_gas = U256(rng_.Uniform(500'000'000'000ULL));
    tx.gas_limit = 21000 + rng_.Uniform(30'000'000);
    if (rng_.Uniform(4) != 0) tx.to = crypto::PrivateKey::Generate(rng_).GetAddress();
    tx.value = rng_.Uniform(2) ? U256() : U256(rng_.NextU64());
    tx.data = RandomBytes(rng_.Uniform(200));
    ours.push_back(evm::SignTransaction(tx, key));
    senders.push_back(key.GetAddress());
    json fields = {{"chainId", tx.chain_id},
                   {"nonce", tx.nonce},
                   {"maxPriorityFeePerGas", tx.max_priority_fee_per_gas.ToDecimal()},
                   {"maxFeePerGas", tx.max_fee_per_gas.ToDecimal()},
                   {"gasLimit", tx.gas_limit},
                   {"to", tx.to ? json(tx.to->ToChecksumHex()) : json(nullptr)},
                   {"value", tx.value.ToDecimal()},
                   {"data", HexEncode0x(tx.data)}};
    in["txs"].push_back({{"key", HexEncode0x(key.secret().span())}, {"tx", fields}});
    uint64_t nonce = rng_.Uniform(3) == 0 ? rng_.Uniform(300) : rng_.Uniform(1ULL << 52);  // JS-safe
    in["create"].push_back({{"from", key.GetAddress().ToChecksumHex()}, {"nonce", nonce}});
    creates.push_back(evm::CreateAddress(key.GetAddress(), nonce));
  }
  // Nested RLP: lists of byte strings of lengths around the 55-byte boundaries.
  std::vector<Bytes> rlp_ours;
  for (int i = 0; i < 20; ++i) {
    json items = json::array();
    std::vector<Bytes> enc;
    for (size_t k = 0, n = rng_.Uniform(6); k < n; ++k) {
      Bytes b = RandomBytes(std::vector<size_t>{0, 1, 1, 55, 56, 200, 1100}[rng_.Uniform(7)]);
      if (b.size() == 1 && rng_.Uniform(2)) b[0] &= 0x7f;
      items.push_back(HexEncode0x(b));
      enc.push_back(evm::RlpString(b));
    }
    json outer = json::array({items, HexEncode0x(Bytes{0x01}), json::array()});
    in["rlp"].push_back(outer);
    rlp_ours.push_back(evm::RlpList({evm::RlpList(enc), evm::RlpString(Bytes{0x01}), evm::RlpList({})}));
  }
  json out = Ethers(in);
  ASSERT_EQ(out["txs"].size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(out["txs"][i]["raw"], HexEncode0x(ours[i].Raw())) << in["txs"][i].dump();
    EXPECT_EQ(out["txs"][i]["hash"], HexEncode0x(ours[i].Hash()));
    EXPECT_EQ(out["txs"][i]["unsignedHash"], HexEncode0x(evm::SigningHash(ours[i].tx)));
    EXPECT_EQ(out["txs"][i]["from"], senders[i].ToChecksumHex());
    EXPECT_EQ(out["create"][i], creates[i].ToChecksumHex());
  }
  ASSERT_EQ(out["rlp"].size(), rlp_ours.size());
  for (size_t i = 0; i < rlp_ours.size(); ++i) EXPECT_EQ(out["rlp"][i], HexEncode0x(rlp_ours[i]));
}

}  // namespace
}  // namespace lt::test
