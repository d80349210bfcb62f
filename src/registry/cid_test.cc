// CIDs, varints, base32, dag-pb and UnixFS codecs, the importer against known importer results.
#include "registry/cid.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "registry/dagpb.h"
#include "registry/unixfs.h"

namespace lt::registry {
namespace {

TEST(VarintTest, RoundTripsAndRefusesBadEncodings) {
  for (uint64_t v : {0ULL, 1ULL, 127ULL, 128ULL, 300ULL, 1ULL << 35, ~0ULL}) {
    Bytes b;
    AppendVarint(b, v);
    EXPECT_EQ(b.size(), VarintSize(v));
    size_t pos = 0;
    auto r = ReadVarint(b, &pos);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, v);
    EXPECT_EQ(pos, b.size());
  }
  size_t pos = 0;
  EXPECT_FALSE(ReadVarint(Bytes{0x80}, &pos).ok());        // truncated
  pos = 0;
  EXPECT_FALSE(ReadVarint(Bytes{0x80, 0x00}, &pos).ok());  // non-minimal
  pos = 0;
  Bytes overflow(10, 0xff);
  overflow.push_back(0x01);
  EXPECT_FALSE(ReadVarint(overflow, &pos).ok());
}

TEST(CidTest, KnownCidsOfSmallInputsMatchTheImporter) {
  // Values computed by ipfs-unixfs-importer 17 with the unixfs-v1-2025 profile.
  EXPECT_EQ(Cid::Of(kCodecRaw, {}).ToString(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(Cid::Of(kCodecRaw, AsBytes("a")).ToString(), "bafkreigks6arfsq3xxfpvqrrwonchxcnu6do76auprhhfomao6c273sixm");
}

TEST(CidTest, ParseRoundTripsAndRefusesGarbage) {
  Cid c = Cid::Of(kCodecDagPb, AsBytes("hello"));
  auto p = Cid::Parse(c.ToString());
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p, c);
  EXPECT_TRUE(c.ToString().rfind("bafy", 0) == 0);
  EXPECT_FALSE(Cid::Parse("").ok());
  EXPECT_FALSE(Cid::Parse("QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioE0").ok());  // '0' is not base58
  EXPECT_FALSE(Cid::Parse("bafy!!").ok());
  EXPECT_FALSE(Cid::Parse("xafy").ok());  // unknown multibase
  EXPECT_FALSE(Cid::Parse("bafkqaaa").ok());  // identity multihash
  std::string s = c.ToString();
  EXPECT_FALSE(Cid::Parse(s.substr(0, s.size() - 3)).ok());  // truncated digest
  EXPECT_FALSE(Cid::Parse(s + "aa").ok());                     // trailing bytes
  EXPECT_FALSE(Cid::Parse("../../etc/passwd").ok());
}

TEST(DagPbTest, EncodesLinksBeforeDataAndRoundTrips) {
  PBNode n;
  n.links.push_back(PBLink{Cid::Of(kCodecRaw, AsBytes("x")), std::string("a"), 1});
  n.links.push_back(PBLink{Cid::Of(kCodecRaw, AsBytes("y")), std::nullopt, std::nullopt});
  n.data = Bytes{8, 1};
  Bytes b = EncodePBNode(n);
  EXPECT_EQ(b[0], 0x12);           // Links first
  EXPECT_EQ(b[b.size() - 4], 0x0a);  // Data last
  auto d = DecodePBNode(b);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, n);
}

TEST(DagPbTest, StrictDecoderRefusesNonCanonicalAndTruncatedInput) {
  PBNode n;
  n.links.push_back(PBLink{Cid::Of(kCodecRaw, AsBytes("x")), std::string("a"), 1});
  n.data = Bytes{8, 1};
  Bytes good = EncodePBNode(n);
  // Data before Links.
  Bytes swapped = {0x0a, 0x02, 0x08, 0x01};
  swapped.insert(swapped.end(), good.begin(), good.end() - 4);
  EXPECT_FALSE(DecodePBNode(swapped).ok());
  // Every truncation fails, except at the field boundary before Data (a valid links-only node).
  for (size_t i = 1; i < good.size(); ++i) {
    if (i == good.size() - 4) continue;
    EXPECT_FALSE(DecodePBNode(ByteSpan(good.data(), i)).ok()) << i;
  }
  EXPECT_FALSE(DecodePBNode(Bytes{0x1a, 0x00}).ok());       // unknown field 3
  EXPECT_FALSE(DecodePBNode(Bytes{0x12, 0x02, 0x12, 0x00}).ok());  // link without Hash
  EXPECT_FALSE(DecodePBNode(Bytes{0x08, 0x01}).ok());       // wrong wire type
  EXPECT_TRUE(DecodePBNode(Bytes{}).ok());                  // the empty node is valid
}

TEST(UnixFSTest, DataRoundTripsAndRefusesUnknownFields) {
  UnixFSData d;
  d.type = UnixFSType::kFile;
  d.filesize = 1048577;
  d.blocksizes = {1048576, 1};
  auto r = DecodeUnixFSData(EncodeUnixFSData(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, d);
  EXPECT_FALSE(DecodeUnixFSData(Bytes{0x18, 0x01}).ok());        // no Type
  EXPECT_FALSE(DecodeUnixFSData(Bytes{0x08, 0x09}).ok());        // unknown type
  EXPECT_FALSE(DecodeUnixFSData(Bytes{0x08, 0x02, 0x50, 0x01}).ok());  // field 10
}

// Runs the importer on `content` written to a temp file.
ImportEntry ImportBytes(const std::string& content, ImportOptions o = {}) {
  char path[] = "/tmp/lt-cid-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  auto r = ImportPath(path, nullptr, o);
  unlink(path);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : ImportEntry{};
}

TEST(ImporterTest, EdgeSizesMatchTheImporter) {
  std::string mib(1 << 20, '\0');
  for (size_t i = 0; i < mib.size(); ++i) mib[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  // Empty and single-chunk files are their raw leaf.
  EXPECT_EQ(ImportBytes("").cid.ToString(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(ImportBytes("a").cid, Cid::Of(kCodecRaw, AsBytes("a")));
  EXPECT_EQ(ImportBytes(mib).cid, Cid::Of(kCodecRaw, AsBytes(mib)));
  // One byte more: a file node with two links; its DAG size is the node plus both leaves.
  ImportEntry e = ImportBytes(mib + "z");
  EXPECT_TRUE(e.cid.IsDagPb());
  EXPECT_EQ(e.size, mib.size() + 1);
  EXPECT_EQ(e.tsize, 1048681u);  // as the importer reports for any 1 MiB + 1 file
}

// A regular file whose size says 0 but that has bytes (/proc, /sys, some FUSE files) is read to
// its end: its CID is its content's, not the empty file's (`lt cid /proc/version` was).
TEST(ImporterTest, FilesThatReportNoSizeAreReadToTheEnd) {
  std::ifstream in("/proc/version", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.empty()) GTEST_SKIP() << "no /proc/version here";
  auto r = ImportPath("/proc/version", nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->cid, Cid::Of(kCodecRaw, AsBytes(content)));
  EXPECT_EQ(r->size, content.size());
}

// Collects blocks to check the tree shape.
struct Collect : ImportSink {
  std::vector<std::pair<Cid, Bytes>> nodes;
  size_t leaves = 0;
  Status Leaf(const Cid&, ByteSpan, uint64_t) override {
    ++leaves;
    return OkStatus();
  }
  Status Node(const Cid& c, ByteSpan b) override {
    nodes.emplace_back(c, Bytes(b.begin(), b.end()));
    return OkStatus();
  }
};

TEST(ImporterTest, BalancedLayoutCapsLinksPerNode) {
  // A reduced chunk size and fan-out (as --chunk-size/--max-links) shows the layering cheaply:
  // 10 chunks with 3 links per node -> 4 + 2 + 1 nodes.
  ImportOptions o;
  o.chunk_size = 4;
  o.max_links = 3;
  Collect sink;
  FileBuilder b(&sink, o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.AddChunk(AsBytes(std::string(i == 9 ? 2 : 4, 'a' + i))).ok());
  auto root = b.Finish();
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(sink.leaves, 10u);
  EXPECT_EQ(sink.nodes.size(), 7u);
  EXPECT_EQ(root->size, 38u);
  for (auto& [cid, bytes] : sink.nodes) {
    auto n = DecodePBNode(bytes);
    ASSERT_TRUE(n.ok());
    EXPECT_LE(n->links.size(), 3u);
    EXPECT_EQ(cid, Cid::Of(kCodecDagPb, bytes));
  }
  EXPECT_EQ(sink.nodes.back().first, root->cid);
}

TEST(ImporterTest, ParallelFileReaderEqualsTheSequentialBuilderAcrossWindows) {
  // Many windows (8 chunks per thread), odd thread counts, a short last chunk, exact multiples.
  for (size_t len : {0u, 1u, 64u, 65u, 64u * 57, 64u * 57 + 13}) {
    std::string data(len, '\0');
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    for (int threads : {1, 2, 3}) {
      ImportOptions o;
      o.chunk_size = 64;
      o.max_links = 4;
      o.hash_threads = threads;
      FileBuilder b(nullptr, o);
      for (size_t off = 0; off < len || off == 0; off += 64) {
        ASSERT_TRUE(b.AddChunk(AsBytes(std::string_view(data).substr(off, 64))).ok());
        if (len == 0) break;
      }
      auto want = b.Finish();
      ASSERT_TRUE(want.ok());
      ImportEntry got = ImportBytes(data, o);
      EXPECT_EQ(got.cid, want->cid) << "len " << len << " threads " << threads;
      EXPECT_EQ(got.size, len);
    }
  }
}

TEST(ImporterTest, DirectoryLinksAreSortedByNameBytes) {
  ImportEntry a{Cid::Of(kCodecRaw, AsBytes("1")), 1, 1}, b{Cid::Of(kCodecRaw, AsBytes("2")), 1, 1};
  auto block = EncodeDirectory({{"b", a}, {"B", b}, {"ä", a}, {"a", b}});
  ASSERT_TRUE(block.ok());
  auto n = DecodePBNode(*block);
  ASSERT_TRUE(n.ok());
  std::vector<std::string> names;
  for (auto& l : n->links) names.push_back(*l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "a", "b", "ä"}));
  EXPECT_FALSE(EncodeDirectory({{"x", a}, {"x", b}}).ok());
  EXPECT_FALSE(EncodeDirectory({{"..", a}}).ok());
  // The empty directory is the importer's.
  auto empty = EncodeDirectory({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, (Bytes{0x0a, 0x02, 0x08, 0x01}));
}

}  // namespace
}  // namespace lt::registry
