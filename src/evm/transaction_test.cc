// EIP-1559 transactions against vectors ethers v6 produced for the same key and fields (an
// independent implementation; tests/interop/evm_test.cc re-checks random ones live), and
// contract-creation addresses against the well-known vectors.
#include "evm/transaction.h"

#include <gtest/gtest.h>

namespace lt::evm {
namespace {

const char* kKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

TEST(TransactionTest, SignsAsEthersDoes) {
  auto key = *crypto::PrivateKey::FromHex(kKey);
  EXPECT_EQ(key.GetAddress().ToChecksumHex(), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  Eip1559Tx tx;
  tx.chain_id = 1;
  tx.nonce = 0;
  tx.max_priority_fee_per_gas = U256(1'000'000'000);
  tx.max_fee_per_gas = U256(30'000'000'000ULL);
  tx.gas_limit = 21000;
  tx.to = *crypto::ParseAddress("0x3535353535353535353535353535353535353535");
  tx.value = OneMor();
  EXPECT_EQ(HexEncode0x(SigningHash(tx)), "0xe413dfa9f277bc0d962303310254da581eec1f58296d2af26f4367c303893395");
  SignedEip1559Tx stx = SignTransaction(tx, key);
  EXPECT_EQ(HexEncode0x(stx.Raw()),
            "0x02f8730180843b9aca008506fc23ac00825208943535353535353535353535353535353535353535880de0b6b3a764000080c0"
            "80a01ac617493a356fbc25da9ce8543853795e90db26c5668b12db02de854d232893a046e6443a7e9df04dc30fd0790601b9d3"
            "a51e94847dfc18a85e2a0bdc717f5a72");
  EXPECT_EQ(HexEncode0x(stx.Hash()), "0x59b3bb31dac5cb7d5a4e6d02cc9725893a1d0c4d0bfc3c785ed4459787f6a7ca");
  EXPECT_EQ(*TransactionSender(stx), key.GetAddress());

  Eip1559Tx create;
  create.chain_id = 31337;
  create.nonce = 7;
  create.max_priority_fee_per_gas = U256(1);
  create.max_fee_per_gas = U256(2'000'000'001);
  create.gas_limit = 5'000'000;
  create.data = *HexDecode("6080604052");
  EXPECT_EQ(HexEncode0x(SignTransaction(create, key).Raw()),
            "0x02f85a827a6907018477359401834c4b408080856080604052c001a0be063f50340aa9d9910baa80cf30db640590fd5b766be2"
            "b67522845c2cbf668aa075635791edaa58c844e612b35484b33e6d178de961dab6a4d61c2df10805afc0");
}

TEST(TransactionTest, DecodesWhatItSignsAndRefusesTampering) {
  auto key = *crypto::PrivateKey::FromHex(kKey);
  Eip1559Tx tx;
  tx.chain_id = 31337;
  tx.nonce = 3;
  tx.max_priority_fee_per_gas = U256(2);
  tx.max_fee_per_gas = U256(100);
  tx.gas_limit = 100000;
  tx.to = key.GetAddress();
  tx.data = Bytes(300, 0xab);
  SignedEip1559Tx stx = SignTransaction(tx, key);
  auto back = DecodeRawTransaction(stx.Raw());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->Raw(), stx.Raw());
  EXPECT_EQ(*TransactionSender(*back), key.GetAddress());
  Bytes raw = stx.Raw();
  raw[0] = 0x01;
  EXPECT_FALSE(DecodeRawTransaction(raw).ok());
  raw = stx.Raw();
  raw.push_back(0);
  EXPECT_FALSE(DecodeRawTransaction(raw).ok());
  // Another chain id changes the signer: a signature is bound to its chain.
  SignedEip1559Tx other = stx;
  other.tx.chain_id = 1;
  auto who = TransactionSender(other);
  EXPECT_TRUE(!who.ok() || *who != key.GetAddress());
}

TEST(TransactionTest, CreateAddresses) {
  auto sender = *crypto::ParseAddress("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
  EXPECT_EQ(CreateAddress(sender, 0).ToChecksumHex(), "0xcd234A471b72ba2F1Ccf0A70FCABA648a5eeCD8d");
  EXPECT_EQ(CreateAddress(sender, 1).ToChecksumHex(), "0x343c43A37D37dfF08AE8C4A11544c718AbB4fCF8");
  EXPECT_EQ(CreateAddress(sender, 2).ToChecksumHex(), "0xf778B86FA74E846c4f0a1fBd1335FE81c00a0C91");
}

}  // namespace
}  // namespace lt::evm
