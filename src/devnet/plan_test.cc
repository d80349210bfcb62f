// The devnet plan: distinct free ports, the accounts and their allocations, the genesis and
// provider.toml text, and clear refusals (busy API port, missing model, bad flags).
#include "devnet/plan.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

namespace lt::devnet {
namespace {

DevnetOptions Options() {
  DevnetOptions o;
  o.datadir = "/tmp/lt-devnet-plan-test";
  auto port = PickFreePort();
  o.api_port = port.ok() ? *port : 18080;
  o.models_dir = LT_MODELS_DIR;
  return o;
}

TEST(DevnetPlan, LaysOutDistinctPortsAndAccounts) {
  auto p = MakePlan(Options());
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::set<int> ports = {p->options.api_port, p->ledger_port, p->gateway_port};
  for (const auto& r : p->routers) ports.insert(r.port);
  for (const auto& pp : p->providers) {
    ports.insert(pp.session_port);
    ports.insert(pp.http_port);
  }
  EXPECT_EQ(ports.size(), 3u + 2u + 6u);
  ASSERT_EQ(p->routers.size(), 2u);
  ASSERT_EQ(p->providers.size(), 3u);
  ASSERT_EQ(p->accounts.size(), 7u);
  std::set<std::string> prices;
  for (const auto& pp : p->providers) prices.insert(pp.price);
  EXPECT_EQ(prices.size(), 3u);
  EXPECT_EQ(p->providers[1].peers, std::vector<std::string>{p->providers[0].http_url()});
  EXPECT_EQ(p->account("user").vault, "1000");
  EXPECT_TRUE(p->account("nobody").name.empty());
}

TEST(DevnetPlan, GenesisAndProviderConfig) {
  DevnetOptions o = Options();
  o.day_seconds = 30;
  auto p = MakePlan(o);
  ASSERT_TRUE(p.ok()) << p.error().message;
  int i = 0;
  for (auto& a : p->accounts) a.address = "0x" + std::string(39, '0') + std::to_string(++i);
  auto g = GenesisJson(*p);
  EXPECT_EQ(g["day_seconds"], 30);
  EXPECT_EQ(g["allocations"].size(), 7u);
  EXPECT_EQ(g["minter"], p->account("user").address);
  std::string pulled = ProviderToml(*p, p->providers[2], true);
  EXPECT_EQ(pulled.find("path ="), std::string::npos);
  EXPECT_NE(pulled.find("peers = [\"" + p->providers[1].http_url()), std::string::npos) << pulled;
  EXPECT_NE(pulled.find("stake = \"10\""), std::string::npos);
  EXPECT_NE(pulled.find(p->account("router2").address), std::string::npos);
  std::string path = ProviderToml(*p, p->providers[0], false);
  EXPECT_NE(path.find("path = \"" + p->model_file + "\""), std::string::npos) << path;
  EXPECT_EQ(path.find("peers ="), std::string::npos);
}

TEST(DevnetPlan, RefusesBadInput) {
  DevnetOptions o = Options();
  o.models_dir = "/nonexistent";
  auto p = MakePlan(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("stories260K.bin"), std::string::npos);
  o = Options();
  o.day_seconds = 1;
  EXPECT_FALSE(MakePlan(o).ok());
  o = Options();
  o.api_port = 70000;
  EXPECT_FALSE(MakePlan(o).ok());
}

}  // namespace
}  // namespace lt::devnet

namespace lt::devnet {
namespace {

// L5: after traffic, a server's port holds connections in TIME_WAIT; lt servers bind it again
// (SO_REUSEADDR), so the devnet's probe must call it free.
TEST(DevnetPlan, L5_PortWithConnectionsInTimeWaitIsFree) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  int served = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(served, 0);
  ::close(served);  // the server closes first: its side of the connection goes to TIME_WAIT
  char b;
  EXPECT_EQ(::recv(client, &b, 1, 0), 0);
  ::close(client);
  ::close(listener);
  EXPECT_TRUE(PortFree(ntohs(a.sin_port)));
}

}  // namespace
}  // namespace lt::devnet
