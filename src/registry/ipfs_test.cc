// What reading the wider IPFS ecosystem takes: CIDv0 and multibase, murmur3 and HAMT shards,
// kubo's dag-pb leaves in the store, and the trustless-gateway request grammar.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "registry/car.h"
#include "registry/dag.h"
#include "registry/dagpb.h"
#include "registry/gateway_request.h"
#include "registry/hamt.h"
#include "registry/holders.h"
#include "registry/multiaddr.h"
#include "registry/store.h"

namespace lt::registry {
namespace {

std::string TempDir() {
  auto p = std::filesystem::temp_directory_path() / ("lt-ipfs-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(std::rand()));
  std::filesystem::create_directories(p);
  return p.string();
}

// A kubo-style leaf: dag-pb, UnixFS File with the data inline (CIDv0 when v0).
Bytes KuboLeafBlock(std::string_view data) {
  UnixFSData d;
  d.type = UnixFSType::kFile;
  d.data = Bytes(data.begin(), data.end());
  d.filesize = data.size();
  PBNode n;
  n.data = EncodeUnixFSData(d);
  return EncodePBNode(n);
}

Cid V0(ByteSpan block) {
  Cid c = Cid::Of(kCodecDagPb, block);
  c.version = 0;
  return c;
}

TEST(IpfsCidTest, KuboCidV0VectorsRoundTrip) {
  // `echo "hello world" | ipfs add` and `ipfs object new unixfs-dir`, kubo's defaults.
  EXPECT_EQ(V0(KuboLeafBlock("hello world\n")).ToString(), "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  EXPECT_EQ(V0(Bytes{0x0a, 0x02, 0x08, 0x01}).ToString(), "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  auto p = Cid::Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->version, 0);
  EXPECT_TRUE(p->IsDagPb());
  EXPECT_TRUE(p->Matches(KuboLeafBlock("hello world\n")));
  EXPECT_EQ(p->ToV1().ToString(), "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby");
  EXPECT_EQ(Cid::FromBinary(p->ToBytes()).value(), *p);  // the bare multihash form
}

TEST(IpfsCidTest, ParsesEveryMultibaseWeAnnounce) {
  Cid c = Cid::Of(kCodecRaw, AsBytes("a"));
  std::string b32 = c.ToString();
  std::string upper = "B";
  for (char ch : b32.substr(1)) upper.push_back(static_cast<char>(std::toupper(ch)));
  for (const std::string& s : {b32, upper, "z" + Base58BtcEncode(c.ToBytes()), "k" + Base36Encode(c.ToBytes()),
                               "f" + HexEncode(c.ToBytes())}) {
    auto p = Cid::Parse(s);
    ASSERT_TRUE(p.ok()) << s << ": " << p.error().message;
    EXPECT_EQ(*p, c) << s;
  }
  EXPECT_FALSE(Cid::Parse("zQmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").ok());
  EXPECT_FALSE(Cid::Parse("k" + Base36Encode(c.ToBytes()) + "A").ok());
  EXPECT_EQ(Base58BtcDecode(Base58BtcEncode(Bytes{0, 0, 1, 2, 255})).value(), (Bytes{0, 0, 1, 2, 255}));
  EXPECT_EQ(Base36Decode(Base36Encode(Bytes{0, 7, 0})).value(), (Bytes{0, 7, 0}));
}

TEST(IpfsHamtTest, Murmur3MatchesTheReferenceVectors) {
  // MurmurHash3_x64_128, seed 0 (as @multiformats/murmur3 prints them).
  auto h = Murmur3X64_128(AsBytes("hello"));
  EXPECT_EQ(h.first, 0xcbd8a7b341bd9b02ULL);
  EXPECT_EQ(h.second, 0x5b1e906a48ae1d19ULL);
  EXPECT_EQ(Murmur3X64_128(AsBytes("")).first, 0u);
  EXPECT_EQ(Murmur3X64_128(AsBytes("a")).first, 0x85555565f6597889ULL);
  EXPECT_EQ(Murmur3X64_128(AsBytes("file-00001")).first, 0xd504dc743e69f0deULL);
  EXPECT_EQ(HamtSlot("hello", 0, 8), 0xcbu);
  EXPECT_EQ(HamtSlot("hello", 1, 8), 0xd8u);
  EXPECT_EQ(HamtSlot("hello", 0, 4), 0xcu);
  EXPECT_EQ(HamtSlot("hello", 1, 4), 0xbu);
}

class MemorySink final : public ImportSink {
 public:
  std::map<Cid, Bytes> blocks;
  Status Leaf(const Cid&, ByteSpan, uint64_t) override { return OkStatus(); }
  Status Node(const Cid& cid, ByteSpan block) override {
    blocks[cid] = Bytes(block.begin(), block.end());
    return OkStatus();
  }
};

class MapSource final : public BlockSource {
 public:
  explicit MapSource(const std::map<Cid, Bytes>& m) : m_(m) {}
  Result<Bytes> Get(const Cid& c) override {
    auto it = m_.find(c);
    if (it == m_.end()) return NotFound("no " + c.ToString());
    ++reads;
    return it->second;
  }
  int reads = 0;

 private:
  const std::map<Cid, Bytes>& m_;
};

TEST(IpfsHamtTest, BuiltShardsListAndLookUpEveryName) {
  std::vector<DirChild> children;
  for (int i = 0; i < 3000; ++i) {
    std::string name = "entry-" + std::to_string(i);
    children.push_back({name, ImportEntry{Cid::Of(kCodecRaw, AsBytes(name)), 1, 1}});
  }
  MemorySink sink;
  auto root = BuildHamt(children, &sink);
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_GT(sink.blocks.size(), 1u);  // 3000 names in 256 slots: child shards
  MapSource src(sink.blocks);
  const Bytes& block = sink.blocks.at(root->cid);
  auto all = ListDirectory(src, root->cid, block);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->size(), children.size());
  for (int i : {0, 17, 2999}) {
    std::vector<Cid> shards;
    auto hit = LookupDirectory(src, root->cid, block, children[i].name, &shards);
    ASSERT_TRUE(hit.ok() && hit->has_value()) << children[i].name;
    EXPECT_EQ((*hit)->cid, children[i].entry.cid);
    EXPECT_LE(shards.size(), 2u);
  }
  auto miss = LookupDirectory(src, root->cid, block, "absent");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  // Tsize of the root: every shard block plus the entries' Tsizes.
  uint64_t bytes = 0;
  for (const auto& [c, b] : sink.blocks) bytes += b.size();
  EXPECT_EQ(root->tsize, bytes + children.size());
}

TEST(IpfsHamtTest, DecodeRefusesMalformedShards) {
  auto shard = [](UnixFSData d, std::vector<PBLink> links) {
    UnixFSNode n;
    n.fs = d;
    n.pb.links = std::move(links);
    return DecodeHamtShard(n);
  };
  UnixFSData d;
  d.type = UnixFSType::kHamtShard;
  d.hash_type = kHamtHashMurmur3;
  d.fanout = 256;
  d.data = Bytes{0x01};  // slot 0
  Cid c = Cid::Of(kCodecRaw, AsBytes("x"));
  EXPECT_TRUE(shard(d, {PBLink{c, std::string("00x"), 1}}).ok());
  EXPECT_FALSE(shard(d, {PBLink{c, std::string("01x"), 1}}).ok());          // slot not marked
  EXPECT_FALSE(shard(d, {PBLink{c, std::string("0"), 1}}).ok());            // short prefix
  EXPECT_FALSE(shard(d, {}).ok());                                          // bit without link
  EXPECT_FALSE(shard(d, {PBLink{c, std::string("00"), 1}}).ok());           // a raw child shard
  EXPECT_FALSE(shard(d, {PBLink{c, std::string("00.."), 1}}).ok());         // bad name
  UnixFSData two = d;
  two.data = Bytes{0x0c};  // slots 2 and 3
  EXPECT_FALSE(shard(two, {PBLink{c, std::string("03a"), 1}, PBLink{c, std::string("02b"), 1}}).ok());  // order
  EXPECT_TRUE(shard(two, {PBLink{c, std::string("02a"), 1}, PBLink{c, std::string("03b"), 1}}).ok());
  EXPECT_FALSE(shard(two, {PBLink{c, std::string("0c"), 1}, PBLink{c, std::string("03b"), 1}}).ok());  // lower case
  UnixFSData bad = d;
  bad.hash_type = 0x12;
  EXPECT_FALSE(shard(bad, {PBLink{c, std::string("00x"), 1}}).ok());
  bad = d;
  bad.fanout = 100;
  EXPECT_FALSE(shard(bad, {PBLink{c, std::string("00x"), 1}}).ok());
  bad = d;
  bad.data = Bytes(33, 0xff);
  EXPECT_FALSE(shard(bad, {}).ok());
}

TEST(IpfsStoreTest, KuboDagPbLeavesImportAndComeBackByteExact) {
  std::string dir = TempDir();
  std::string a(300000, 'a'), b(262144, 'b'), tail = "the end\n";
  // A kubo-style file: three dag-pb leaves (CIDv0), a root File node with blocksizes.
  std::vector<Bytes> leaves = {KuboLeafBlock(a), KuboLeafBlock(b), KuboLeafBlock(tail)};
  UnixFSData fd;
  fd.type = UnixFSType::kFile;
  fd.filesize = a.size() + b.size() + tail.size();
  PBNode file;
  for (const Bytes& l : leaves) {
    auto n = DecodeUnixFSNode(l).value();
    fd.blocksizes.push_back(n.fs.data->size());
    file.links.push_back(PBLink{V0(l), std::string(), l.size()});
  }
  file.data = EncodeUnixFSData(fd);
  Bytes file_block = EncodePBNode(file);
  Bytes small = KuboLeafBlock("hello world\n");
  PBNode d;
  d.links.push_back(PBLink{V0(file_block), std::string("big.bin"), 1});
  d.links.push_back(PBLink{V0(small), std::string("hello.txt"), 20});
  d.data = Bytes{0x08, 0x01};
  Bytes dir_block = EncodePBNode(d);
  Cid root = V0(dir_block);
  // As `ipfs dag export` writes it: header with the v0 root, then the blocks depth-first.
  Bytes car;
  Bytes header = EncodeCarHeader({root});
  AppendVarint(car, header.size());
  car.insert(car.end(), header.begin(), header.end());
  auto section = [&](const Cid& c, const Bytes& blk) {
    Bytes cb = c.ToBytes();
    AppendVarint(car, cb.size() + blk.size());
    car.insert(car.end(), cb.begin(), cb.end());
    car.insert(car.end(), blk.begin(), blk.end());
  };
  section(root, dir_block);
  section(V0(file_block), file_block);
  for (const Bytes& l : leaves) section(V0(l), l);
  section(V0(small), small);
  std::string car_path = dir + "/kubo.car";
  FILE* f = std::fopen(car_path.c_str(), "wb");
  std::fwrite(car.data(), 1, car.size(), f);
  std::fclose(f);

  auto store = Store::Open(dir + "/store").value();
  auto roots = ImportCar(*store, car_path);
  ASSERT_TRUE(roots.ok()) << roots.error().message;
  EXPECT_EQ(roots->at(0), root);
  // Every block comes back exactly, whichever CID version asks.
  for (const Bytes& l : leaves) EXPECT_EQ(store->Get(V0(l)).value(), l);
  EXPECT_EQ(store->Get(V0(small).ToV1()).value(), small);
  EXPECT_EQ(store->Get(root).value(), dir_block);
  // The file is whole on disk (what engines mmap), and exports to the same CAR.
  auto path = store->FilePath(V0(file_block));
  ASSERT_TRUE(path.ok()) << path.error().message;
  std::ifstream in(*path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, a + b + tail);
  Bytes again;
  ASSERT_TRUE(WriteCar(*store, root, [&](ByteSpan s) {
                again.insert(again.end(), s.begin(), s.end());
                return OkStatus();
              }).ok());
  EXPECT_EQ(again, car);
  std::filesystem::remove_all(dir);
}

TEST(IpfsGatewayRequestTest, FormatAcceptAndCarParameters) {
  using Q = std::multimap<std::string, std::string>;
  auto r = ParseGatewayRequest("", Q{{"format", "raw"}});
  ASSERT_TRUE(r.request);
  EXPECT_EQ(r.request->format, GatewayFormat::kRaw);
  r = ParseGatewayRequest("application/vnd.ipld.car; version=1; order=dfs; dups=y", Q{});
  ASSERT_TRUE(r.request);
  EXPECT_EQ(r.request->format, GatewayFormat::kCar);
  EXPECT_TRUE(r.request->dups);
  // The highest q wins; q=0 is refused; format beats Accept.
  r = ParseGatewayRequest("application/vnd.ipld.car;q=0.5, application/vnd.ipld.raw;q=0.9", Q{});
  EXPECT_EQ(r.request->format, GatewayFormat::kRaw);
  r = ParseGatewayRequest("application/vnd.ipld.raw;q=0", Q{});
  EXPECT_FALSE(r.request);
  r = ParseGatewayRequest("application/vnd.ipld.raw", Q{{"format", "car"}, {"dag-scope", "entity"}});
  EXPECT_EQ(r.request->format, GatewayFormat::kCar);
  EXPECT_EQ(r.request->scope, DagScope::kEntity);
  // A CAR version we do not write is skipped for the next range.
  r = ParseGatewayRequest("application/vnd.ipld.car;version=2, application/vnd.ipld.raw;q=0.1", Q{});
  EXPECT_EQ(r.request->format, GatewayFormat::kRaw);
  EXPECT_EQ(ParseGatewayRequest("", Q{}).error.status, 400);
  EXPECT_EQ(ParseGatewayRequest("*/*", Q{}).error.status, 400);
  EXPECT_EQ(ParseGatewayRequest("text/html", Q{}).error.status, 406);
  EXPECT_EQ(ParseGatewayRequest("", Q{{"format", "tar"}}).error.status, 400);
  EXPECT_EQ(ParseGatewayRequest("", Q{{"format", "car"}, {"dag-scope", "some"}}).error.status, 400);
  EXPECT_EQ(ParseGatewayRequest("", Q{{"format", "car"}, {"car-dups", "maybe"}}).error.status, 400);
  r = ParseGatewayRequest("", Q{{"format", "car"}, {"entity-bytes", "-1024:*"}});
  ASSERT_TRUE(r.request && r.request->entity_bytes);
  EXPECT_EQ(r.request->scope, DagScope::kEntity);
  EXPECT_EQ(r.request->entity_bytes->from, -1024);
  EXPECT_FALSE(r.request->entity_bytes->to);
  EXPECT_EQ(ParseEntityBytes("499:-1000")->to, -1000);
  EXPECT_FALSE(ParseEntityBytes("1:2:3"));
  EXPECT_FALSE(ParseEntityBytes(":5"));
  EXPECT_FALSE(ParseEntityBytes("+1:5"));
  EXPECT_FALSE(ParseEntityBytes("99999999999999999999999:5"));
}

}  // namespace
}  // namespace lt::registry

namespace lt::registry {
namespace {

TEST(IpfsRoutingTest, GatewayUrlsAndMultiaddrsConvertBothWays) {
  EXPECT_EQ(HttpUrlToMultiaddr("http://127.0.0.1:7070").value(), "/ip4/127.0.0.1/tcp/7070/http");
  EXPECT_EQ(HttpUrlToMultiaddr("https://gw.example/").value(), "/dns/gw.example/tcp/443/tls/http");
  EXPECT_EQ(HttpUrlToMultiaddr("http://[::1]:8080").value(), "/ip6/::1/tcp/8080/http");
  EXPECT_FALSE(HttpUrlToMultiaddr("http://h:8080/prefix").ok());
  EXPECT_FALSE(HttpUrlToMultiaddr("ftp://h").ok());
  EXPECT_FALSE(HttpUrlToMultiaddr("http://h:99999").ok());
  EXPECT_EQ(MultiaddrToHttpUrl("/ip4/1.2.3.4/tcp/80/http").value(), "http://1.2.3.4:80");
  EXPECT_EQ(MultiaddrToHttpUrl("/dns4/a.b/tcp/443/https").value(), "https://a.b:443");
  EXPECT_EQ(MultiaddrToHttpUrl("/dns/a.b/tcp/443/tls/sni/a.b/http/p2p/QmX").value(), "https://a.b:443");
  EXPECT_EQ(MultiaddrToHttpUrl("/ip6/::1/tcp/80/http").value(), "http://[::1]:80");
  EXPECT_FALSE(MultiaddrToHttpUrl("/ip4/1.2.3.4/udp/4001/quic-v1"));
  EXPECT_FALSE(MultiaddrToHttpUrl("/ip4/1.2.3.4/tcp/4001"));
  EXPECT_FALSE(MultiaddrToHttpUrl("/ip4/1.2.3.999/tcp/80/http"));
  EXPECT_EQ(NormalizeGatewayUrl("http://h:1/ipfs/"), "http://h:1");
}

TEST(IpfsRoutingTest, RoutingAnswersKeepOnlyGatewayProviders) {
  std::string j = R"({"Providers":[
    {"Schema":"peer","ID":"Qm1","Addrs":["/ip4/10.0.0.1/tcp/8080/http","/ip4/10.0.0.1/udp/4001/quic-v1"],
     "Protocols":["transport-ipfs-gateway-http"]},
    {"Schema":"peer","ID":"Qm2","Addrs":["/ip4/10.0.0.2/tcp/4001"],"Protocols":["transport-bitswap"]},
    {"Schema":"peer","ID":"Qm3","Addrs":["/dns/gw.example/tcp/443/https"]},
    {"Schema":"bitswap","Protocol":"transport-bitswap","ID":"Qm4","Addrs":["/ip4/10.0.0.4/tcp/80/http"]},
    "garbage", 7]})";
  auto urls = ParseRoutingAnswer("application/json", j);
  ASSERT_TRUE(urls.ok()) << urls.error().message;
  EXPECT_EQ(*urls, (std::vector<std::string>{"http://10.0.0.1:8080", "https://gw.example:443"}));
  auto nd = ParseRoutingAnswer("application/x-ndjson",
                               "{\"ID\":\"Qm\",\"Addrs\":[\"/ip4/1.1.1.1/tcp/80/http\"],\"Protocols\":[\"transport-ipfs-gateway-http\"]}\n\n");
  ASSERT_TRUE(nd.ok());
  EXPECT_EQ(nd->size(), 1u);
  EXPECT_TRUE(ParseRoutingAnswer("application/json", "{\"Providers\":null}")->empty());
  EXPECT_FALSE(ParseRoutingAnswer("application/json", "[1,2]").ok());
  EXPECT_FALSE(ParseRoutingAnswer("application/x-ndjson", "{\"a\":1}\nnot json\n").ok());
  EXPECT_FALSE(ParseRoutingAnswer("application/json", std::string(2 << 20, ' ')).ok());
}

// A --peer that is not a URL is told so (it used to be told that https needs TLS).
TEST(IpfsRoutingTest, PeerUrlsThatAreNotHttpAreRefusedWithTheReason) {
  Cid any = Cid::Of(kCodecRaw, ByteSpan());
  auto peers = [&](std::string p) { return RouterHolders({}, {std::move(p)}).FindPeers(any); };
  EXPECT_EQ(peers("http://127.0.0.1:7070/ipfs/").value(), std::vector<std::string>{"http://127.0.0.1:7070"});
  auto tls = peers("https://gw.example");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().message.find("no TLS"), std::string::npos) << tls.error().message;
  for (std::string bad : {"nonsense", "127.0.0.1:7070", "ftp://h", "http://"}) {
    auto r = peers(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("is not a gateway URL: give http://HOST:PORT"), std::string::npos)
        << r.error().message;
  }
}

}  // namespace
}  // namespace lt::registry
