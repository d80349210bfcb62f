// The trustless gateway answers what IPFS HTTP clients send (Trustless Gateway spec): raw and CAR
// by ?format or Accept, ETag and If-None-Match, dag-scope, entity-bytes, paths through flat
// and HAMT directories, the probe CID, and the error statuses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/http.h"
#include "registry/car.h"
#include "registry/gateway.h"
#include "registry/store.h"

namespace lt::registry {
namespace {

class SpanReader final : public ByteReader {
 public:
  explicit SpanReader(std::string_view s) : s_(s) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    size_t k = std::min(n, s_.size() - pos_);
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// The CIDs of a CAR body, in order (every block verified by ReadCar).
std::vector<Cid> CarBlocks(const std::string& body) {
  SpanReader r(body);
  std::vector<Cid> out;
  Status s = ReadCar(
      r, [](const std::vector<Cid>&) { return OkStatus(); },
      [&](const Cid& c, ByteSpan, uint64_t) {
        out.push_back(c);
        return OkStatus();
      });
  EXPECT_TRUE(s.ok()) << s.error().message;
  return out;
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("lt-gw-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/tree/many");
    std::string big(1000000, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 1000);
    std::ofstream(dir_ + "/tree/big.bin", std::ios::binary) << big;
    for (int i = 0; i < 120; ++i) std::ofstream(dir_ + "/tree/many/n" + std::to_string(i)) << "entry " << i;
    store_ = Store::Open(dir_ + "/store").value();
    ImportOptions o;
    o.chunk_size = 256 << 10;  // four leaves in big.bin, for ranges
    o.shard_threshold = 1000;  // "many" becomes a HAMT
    root_ = store_->AddPath(dir_ + "/tree", o).value().cid;
    StartServer();
  }
  void StartServer() {
    MountGateway(server_, *store_);
    port_ = server_.Listen("127.0.0.1", 0).value();
    thread_ = std::thread([this] { server_.Run(); });
  }
  void TearDown() override {
    server_.Stop();
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
  }
  net::HttpClientResponse Get(const std::string& path, const std::multimap<std::string, std::string>& h = {}) {
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_)).value();
    auto r = c.Get(path, h);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : net::HttpClientResponse{};
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  Cid root_;
  net::HttpServer server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(GatewayTest, RawBlocksByFormatOrAcceptWithCacheHeaders) {
  std::string r = root_.ToString();
  auto a = Get("/ipfs/" + r + "?format=raw");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.Header("Content-Type"), "application/vnd.ipld.raw");
  EXPECT_TRUE(root_.Matches(AsBytes(a.body)));
  EXPECT_EQ(a.Header("Etag"), "\"" + r + ".raw\"");
  EXPECT_EQ(a.Header("Cache-Control"), "public, max-age=29030400, immutable");
  EXPECT_EQ(a.Header("X-Ipfs-Roots"), r);
  EXPECT_EQ(a.Header("Content-Disposition"), "attachment; filename=\"" + r + ".bin\"");
  auto b = Get("/ipfs/" + r, {{"Accept", "text/html;q=0.9, application/vnd.ipld.raw"}});
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, a.body);
  // The CIDv0 form of a dag-pb block is the same block.
  Cid v0 = root_;
  v0.version = 0;
  EXPECT_EQ(Get("/ipfs/" + v0.ToString() + "?format=raw").body, a.body);
  EXPECT_EQ(Get("/ipfs/" + r + "?format=raw", {{"If-None-Match", "W/\"x\", \"" + r + ".raw\""}}).status, 304);
  EXPECT_EQ(Get("/ipfs/bafkqaaa?format=raw").status, 200);  // the spec's probe
  EXPECT_EQ(Get("/ipfs/bafkqaaa?format=raw").body, "");
}

TEST_F(GatewayTest, ErrorsAreTheSpecsStatuses) {
  std::string r = root_.ToString();
  EXPECT_EQ(Get("/ipfs/" + r).status, 400);                                     // no format: not deserialized
  EXPECT_EQ(Get("/ipfs/" + r, {{"Accept", "text/html"}}).status, 406);          // nothing we serve
  EXPECT_EQ(Get("/ipfs/" + r + "/big.bin?format=raw").status, 400);             // raw takes no path
  EXPECT_EQ(Get("/ipfs/nonsense?format=raw").status, 400);
  std::string absent = Cid::Of(kCodecRaw, AsBytes("absent")).ToString();
  EXPECT_EQ(Get("/ipfs/" + absent + "?format=raw").status, 404);
  EXPECT_EQ(Get("/ipfs/" + absent + "?format=car", {{"Cache-Control", "only-if-cached"}}).status, 412);
  EXPECT_EQ(Get("/ipfs/" + r + "/nope?format=car").status, 404);
  EXPECT_EQ(Get("/ipfs/" + r + "/big.bin?format=car&entity-bytes=5000000:*").status, 400);
  EXPECT_EQ(Get("/ipfs/" + r + "?format=car&dag-scope=everything").status, 400);
  EXPECT_EQ(Get("/ipfs/" + r + "?format=car&car-version=2").status, 400);
}

TEST_F(GatewayTest, CarScopesRangesAndPaths) {
  std::string r = root_.ToString();
  auto all = Get("/ipfs/" + r + "?format=car");
  EXPECT_EQ(all.Header("Content-Type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
  auto all_blocks = CarBlocks(all.body);
  EXPECT_EQ(all_blocks.front(), root_);
  // dag-scope=block: the blocks of the path, then only the terminal block.
  auto block = CarBlocks(Get("/ipfs/" + r + "/big.bin?format=car&dag-scope=block").body);
  ASSERT_EQ(block.size(), 2u);
  EXPECT_EQ(block[0], root_);
  // entity on a file: its whole DAG (file node + 4 leaves); a byte range only what covers it.
  auto entity = CarBlocks(Get("/ipfs/" + r + "/big.bin?format=car&dag-scope=entity").body);
  EXPECT_EQ(entity.size(), 1u + 1u + 4u);
  auto range = CarBlocks(Get("/ipfs/" + r + "/big.bin?format=car&entity-bytes=300000:600000").body);
  EXPECT_EQ(range.size(), 1u + 1u + 2u);  // leaves 1 and 2 of 0..3
  auto tail = CarBlocks(Get("/ipfs/" + r + "/big.bin?format=car&entity-bytes=-10:*").body);
  EXPECT_EQ(tail.size(), 1u + 1u + 1u);
  EXPECT_EQ(tail.back(), entity.back());
  // Into the HAMT: root, the shard's blocks on the name's path, the entry.
  auto hamt = CarBlocks(Get("/ipfs/" + r + "/many/n77?format=car").body);
  EXPECT_GE(hamt.size(), 3u);
  EXPECT_TRUE(hamt.back().IsRaw());
  auto listing = CarBlocks(Get("/ipfs/" + r + "/many?format=car&dag-scope=entity").body);
  for (const Cid& c : listing) EXPECT_TRUE(c.IsDagPb());  // the shards, not the entries
  // HEAD: the headers of the GET, no body; a weak ETag per scope.
  auto e1 = Get("/ipfs/" + r + "?format=car&dag-scope=entity").Header("Etag");
  auto e2 = Get("/ipfs/" + r + "?format=car").Header("Etag");
  EXPECT_NE(e1, e2);
  EXPECT_EQ(e1.rfind("W/\"", 0), 0u);
  EXPECT_EQ(Get("/ipfs/" + r + "?format=car", {{"If-None-Match", e2}}).status, 304);
  // dups=y is signalled back (no block repeats in this tree, so the same blocks).
  auto dups = Get("/ipfs/" + r + "?format=car", {{"Accept", "application/vnd.ipld.car; dups=y"}});
  EXPECT_EQ(dups.Header("Content-Type"), "application/vnd.ipld.car; version=1; order=dfs; dups=y");
  EXPECT_EQ(CarBlocks(dups.body), all_blocks);
}

}  // namespace
}  // namespace lt::registry
