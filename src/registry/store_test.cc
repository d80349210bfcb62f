// The store (atomic writes, verification on read, GC), CAR round trips and refusals, names.
#include "registry/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "registry/car.h"
#include "registry/dag.h"
#include "registry/holders.h"
#include "registry/manifest.h"
#include "registry/resolve.h"

namespace lt::registry {
namespace {

std::string TmpDir() {
  char t[] = "/tmp/lt-store-test-XXXXXX";
  return mkdtemp(t);
}

void Write(const std::string& p, const std::string& data) { std::ofstream(p, std::ios::binary) << data; }

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 977) & 0xff);
  return s;
}

struct StoreTest : ::testing::Test {
  void SetUp() override {
    dir = TmpDir();
    auto s = Store::Open(dir + "/store");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store = std::move(*s);
  }
  std::string dir;
  std::unique_ptr<Store> store;
};

TEST_F(StoreTest, AddKeepsFilesWholeAndServesVerifiedBlocks) {
  std::string content = Pattern((3 << 20) + 5, 1);
  Write(dir + "/f", content);
  auto e = store->AddPath(dir + "/f");
  ASSERT_TRUE(e.ok()) << e.error().message;
  auto path = store->FilePath(e->cid);
  ASSERT_TRUE(path.ok());
  std::ifstream in(*path, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(back, content);
  // Every block of the DAG comes back and hashes to its CID.
  StoreBlockSource src(store.get());
  auto cids = ListDag(src, e->cid);
  ASSERT_TRUE(cids.ok());
  EXPECT_EQ(cids->size(), 5u);  // root + 4 leaves
  for (const Cid& c : *cids) EXPECT_TRUE(store->Get(c).ok());
  EXPECT_EQ(store->Get(Cid::Of(kCodecRaw, AsBytes("absent"))).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, DamagedFileIsReportedCorruptNotServed) {
  std::string content = Pattern(3 << 20, 2);
  Write(dir + "/f", content);
  auto e = store->AddPath(dir + "/f");
  ASSERT_TRUE(e.ok());
  Cid leaf = Cid::Of(kCodecRaw, AsBytes(std::string_view(content).substr(1 << 20, 1 << 20)));
  ASSERT_TRUE(store->Get(leaf).ok());
  std::string path = *store->FilePath(e->cid);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp((1 << 20) + 10);
  f.put('X');
  f.close();
  auto r = store->Get(leaf);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

TEST_F(StoreTest, WriterRefusesWrongBlocksAndResumes) {
  std::string a = Pattern(100, 3), b = Pattern(50, 4);
  Cid file = Cid::Of(kCodecDagPb, AsBytes("pretend root"));
  {
    auto w = store->OpenFileWriter(file, 150);
    ASSERT_TRUE(w.ok());
    auto bad = (*w)->WriteLeaf(Cid::Of(kCodecRaw, AsBytes(b)), AsBytes(a), 0);
    EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
    EXPECT_FALSE((*w)->WriteLeaf(Cid::Of(kCodecRaw, AsBytes(b)), AsBytes(b), 120).ok());  // past the end
    ASSERT_TRUE((*w)->WriteLeaf(Cid::Of(kCodecRaw, AsBytes(a)), AsBytes(a), 0).ok());
  }  // dropped mid-file, like a killed pull
  EXPECT_FALSE(store->FilePath(file).ok());
  auto reopened = Store::Open(dir + "/store");
  ASSERT_TRUE(reopened.ok());
  auto w = (*reopened)->OpenFileWriter(file, 150);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->HasLeafAt(0));
  EXPECT_FALSE((*w)->HasLeafAt(100));
  ASSERT_TRUE((*w)->WriteLeaf(Cid::Of(kCodecRaw, AsBytes(b)), AsBytes(b), 100).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto p = (*reopened)->FilePath(file);
  ASSERT_TRUE(p.ok());
  std::ifstream in(*p, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), a + b);
}

TEST_F(StoreTest, CrashedImportLeavesNothingBehind) {
  Write(dir + "/store/tmp/import-deadbeef", "half a file");
  auto reopened = Store::Open(dir + "/store");
  ASSERT_TRUE(reopened.ok());
  EXPECT_NE(access((dir + "/store/tmp/import-deadbeef").c_str(), F_OK), 0);
}

TEST_F(StoreTest, GcKeepsReferencedContentAndRemovesTheRest) {
  Write(dir + "/keep", Pattern(2 << 20, 5));
  Write(dir + "/drop", Pattern(2 << 20, 6));
  auto keep = store->AddPath(dir + "/keep");
  auto drop = store->AddPath(dir + "/drop");
  ASSERT_TRUE(keep.ok() && drop.ok());
  ASSERT_TRUE(store->SetRef("pin/keep", keep->cid).ok());
  std::string drop_path = *store->FilePath(drop->cid);
  auto st = store->Gc();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->files_removed, 1u);
  EXPECT_TRUE(store->Has(keep->cid));
  EXPECT_TRUE(store->FilePath(keep->cid).ok());
  EXPECT_FALSE(store->Has(drop->cid));
  EXPECT_NE(access(drop_path.c_str(), F_OK), 0);
  ASSERT_TRUE(store->RemoveRef("pin/keep").ok());
  EXPECT_EQ(store->RemoveRef("pin/keep").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store->Gc().ok());
  EXPECT_FALSE(store->Has(keep->cid));
}

TEST_F(StoreTest, TagRefOnAManifestKeepsItsRootThroughGcAndListsItsFiles) {
  Write(dir + "/m.bin", Pattern((2 << 20) + 3, 5));
  auto e = store->AddPath(dir + "/m.bin");
  ASSERT_TRUE(e.ok());
  Manifest m;
  m.name = "demo/stories";
  m.tag = "1";
  m.format = "llama2c";
  m.root = e->cid;
  m.builder = "0x0000000000000000000000000000000000000001";
  std::string bytes = m.Encode();
  Cid mcid = m.BlockCid();
  ASSERT_TRUE(store->PutInline(mcid, AsBytes(bytes)).ok());
  EXPECT_EQ(ManifestCid(ManifestDigest(mcid)), mcid);
  EXPECT_EQ(ManifestDigest(mcid), Sha256(AsBytes(bytes)));
  ASSERT_TRUE(store->SetRef("demo/stories:1", mcid).ok());
  ASSERT_TRUE(store->Gc().ok());
  auto files = LocalFiles(*store, e->cid);
  ASSERT_TRUE(files.ok()) << files.error().message;
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].size, (2u << 20) + 3);
  auto held = HeldRoots(*store);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->size(), 2u);  // the manifest and its root
  auto loaded = LoadManifest(*store, mcid);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->root, e->cid);
  ASSERT_TRUE(store->RemoveRef("demo/stories:1").ok());
  auto st = store->Gc();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->files_removed, 1u);
  EXPECT_FALSE(store->Has(mcid));
}

TEST_F(StoreTest, CarRoundTripsThroughAnotherStore) {
  mkdir((dir + "/tree").c_str(), 0755);
  mkdir((dir + "/tree/sub").c_str(), 0755);
  Write(dir + "/tree/a", Pattern((2 << 20) + 3, 7));
  Write(dir + "/tree/sub/b", "bee");
  auto e = store->AddPath(dir + "/tree");
  ASSERT_TRUE(e.ok());
  Bytes car;
  ASSERT_TRUE(WriteCar(*store, e->cid, [&](ByteSpan b) {
                car.insert(car.end(), b.begin(), b.end());
                return OkStatus();
              }).ok());
  Write(dir + "/t.car", std::string(AsString(car)));
  auto other = Store::Open(dir + "/other");
  ASSERT_TRUE(other.ok());
  auto roots = ImportCar(**other, dir + "/t.car");
  ASSERT_TRUE(roots.ok()) << roots.error().message;
  ASSERT_EQ(roots->size(), 1u);
  EXPECT_EQ((*roots)[0], e->cid);
  StoreBlockSource src(other->get());
  auto cids = ListDag(src, e->cid);
  ASSERT_TRUE(cids.ok());
  for (const Cid& c : *cids) EXPECT_TRUE((*other)->Get(c).ok()) << c.ToString();

  // A flipped byte in a block is refused; so is a CAR missing a block.
  Bytes flipped = car;
  flipped[flipped.size() - 1] ^= 1;
  Write(dir + "/bad.car", std::string(AsString(flipped)));
  auto bad = ImportCar(**other, dir + "/bad.car");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
  Write(dir + "/short.car", std::string(AsString(car)).substr(0, car.size() - 3 - 3 - 37));
  EXPECT_FALSE(ImportCar(**other, dir + "/short.car").ok());
}

TEST(CarHeaderTest, MatchesDagCborAndRefusesOthers) {
  Cid c = Cid::Of(kCodecRaw, AsBytes("x"));
  Bytes h = EncodeCarHeader({c});
  EXPECT_EQ(h[0], 0xa2);  // map(2), "roots" before "version"
  EXPECT_EQ(h[1], 0x65);
  auto roots = DecodeCarHeader(h);
  ASSERT_TRUE(roots.ok());
  EXPECT_EQ((*roots)[0], c);
  Bytes v2 = h;
  v2.back() = 0x02;
  EXPECT_NE(DecodeCarHeader(v2).error().message.find("CARv2"), std::string::npos);
  EXPECT_FALSE(DecodeCarHeader(Bytes{0xa0}).ok());
  EXPECT_FALSE(DecodeCarHeader(Bytes(h.begin(), h.end() - 1)).ok());
}

TEST(NamesTest, NamesAndTagsFollowTheDesignGrammar) {
  for (const char* ok : {"llama", "meta/llama-3.1", "a/b/c", "x__y", "a--b", "ns/m_1.2"}) {
    EXPECT_TRUE(ValidateName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "Llama", "a//b", "/a", "a/", "a..b", "a___b", "-a", "a-", "a b", "a:b", "é"}) {
    EXPECT_FALSE(ValidateName(bad).ok()) << bad;
  }
  EXPECT_TRUE(ValidateTag("latest").ok());
  EXPECT_TRUE(ValidateTag("_v1.2-rc").ok());
  EXPECT_TRUE(ValidateTag(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateTag(std::string(129, 'a')).ok());
  EXPECT_FALSE(ValidateTag(".x").ok());
  EXPECT_FALSE(ValidateTag("-x").ok());
  EXPECT_FALSE(ValidateTag("").ok());
  auto r = ParseModelRef("meta/llama");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag, "latest");
  Cid c = Cid::Of(kCodecDagPb, AsBytes("m"));
  auto pinned = ParseModelRef("meta/llama@" + c.ToString());
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(*pinned->cid, c);
  EXPECT_FALSE(ParseModelRef("meta/llama:").ok());
  EXPECT_FALSE(ParseModelRef("meta/llama@Qmnope").ok());
}

TEST(ManifestTest, RoundTripsAndValidates) {
  Manifest m;
  m.name = "lake/stories";
  m.tag = "260k";
  m.format = "llama2c";
  m.architecture = "llama";
  m.root = Cid::Of(kCodecRaw, AsBytes("weights"));
  m.requirements.ram_bytes = 1 << 20;
  m.builder = "0x" + std::string(40, 'a');
  m.builder_fee_bps = 250;
  m.license = "MIT";
  auto back = Manifest::Decode(m.Encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->Encode(), m.Encode());
  EXPECT_EQ(back->BlockCid(), m.BlockCid());
  auto j = m.ToJson();
  j["builder_fee_bps"] = 10001;
  EXPECT_FALSE(Manifest::FromJson(j).ok());
  j = m.ToJson();
  j["kind"] = "virus";
  EXPECT_FALSE(Manifest::FromJson(j).ok());
  j = m.ToJson();
  j.erase("root");
  EXPECT_FALSE(Manifest::FromJson(j).ok());
  EXPECT_FALSE(Manifest::Decode("{not json").ok());
}

// Issue 21: an agent manifest carries its `agent` object; a model manifest encodes as before.
TEST(ManifestTest, AgentObjectOnlyForAgentsAndModelsUnchanged) {
  Manifest m;
  m.name = "acme/helper";
  m.format = "agent";
  m.root = Cid::Of(kCodecRaw, AsBytes("agent.json"));
  m.builder = "0x" + std::string(40, 'a');
  EXPECT_EQ(m.ToJson().count("agent"), 0u);
  m.kind = "agent";
  m.agent = {{"base_model", "acme/llama:latest"}, {"system_prompt", "hi"}};
  auto back = Manifest::Decode(m.Encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->agent, m.agent);
  EXPECT_EQ(back->BlockCid(), m.BlockCid());
  auto j = m.ToJson();
  j["kind"] = "model";
  EXPECT_EQ(Manifest::FromJson(j).error().message, "manifest 'agent' is only for kind 'agent'");
  j = m.ToJson();
  j["agent"] = "text";
  EXPECT_EQ(Manifest::FromJson(j).error().message, "manifest 'agent' is not an object");
}

}  // namespace
}  // namespace lt::registry
