#include "router/matcher.h"

#include <gtest/gtest.h>

#include <map>

#include "router/providers.h"
#include "router/queue.h"

namespace lt::router {
namespace {

crypto::Address Addr(uint8_t n) {
  crypto::Address a;
  a.bytes[19] = n;
  return a;
}

OfferInfo Offer(uint8_t id, uint64_t price, uint32_t tps = 50, double rtt = 10, double rel = 0.5) {
  OfferInfo o;
  o.provider = Addr(id);
  o.price_per_second = U256(price);
  o.tps = tps;
  o.slots = 4;
  o.rtt_ms = rtt;
  o.reliability = rel;
  return o;
}

MatchCriteria Crit(uint64_t max_price, uint32_t min_tps = 0, uint32_t max_latency = 0) {
  return MatchCriteria{U256(max_price), min_tps, max_latency};
}

TEST(MatcherTest, CheapestFirstWhenAllMeetLatency) {
  SeededRandom rng(1);
  std::vector<OfferInfo> offers = {Offer(1, 300), Offer(2, 100), Offer(3, 200)};
  auto r = RankOffers(offers, Crit(1000), rng);
  ASSERT_EQ(r.order.size(), 3u);
  EXPECT_EQ(r.order[0], 1u);
  EXPECT_EQ(r.order[1], 2u);
  EXPECT_EQ(r.order[2], 0u);
}

TEST(MatcherTest, LatencyTargetComesBeforePrice) {
  SeededRandom rng(1);
  // The cheapest is too slow to answer; the one that meets 50 ms wins although dearer.
  std::vector<OfferInfo> offers = {Offer(1, 100, 50, 200), Offer(2, 500, 50, 20), Offer(3, 300, 50, 80)};
  auto r = RankOffers(offers, Crit(1000, 0, 50), rng);
  ASSERT_EQ(r.order.size(), 3u);
  EXPECT_EQ(r.order[0], 1u);  // meets latency
  EXPECT_EQ(r.order[1], 0u);  // then the rest, cheapest first
  EXPECT_EQ(r.order[2], 2u);
  // Unknown latency counts as meeting the target (new providers get tried).
  offers[0].rtt_ms = -1;
  r = RankOffers(offers, Crit(1000, 0, 50), rng);
  EXPECT_EQ(r.order[0], 0u);
}

TEST(MatcherTest, NearTiesWithinTwoPercentGoToTheMoreReliable) {
  SeededRandom rng(7);
  // 1000 vs 1015 (1.5% dearer) is a near-tie: reliability decides. 1030 (3%) is not.
  std::vector<OfferInfo> offers = {Offer(1, 1000, 50, 10, 0.3), Offer(2, 1015, 50, 10, 0.9),
                                   Offer(3, 1030, 50, 10, 1.0)};
  for (int i = 0; i < 20; ++i) {
    auto r = RankOffers(offers, Crit(5000), rng);
    ASSERT_EQ(r.order.size(), 3u);
    EXPECT_EQ(r.order[0], 1u);
    EXPECT_EQ(r.order[1], 0u);
    EXPECT_EQ(r.order[2], 2u);
  }
}

TEST(MatcherTest, ProvenAndFreshProvidersThatNeverFailedShareTheLoad) {
  // The score of a liveness record: never failed is 1 whatever the number of checks, so the
  // provider checked first does not keep every near-tie for good.
  EXPECT_EQ(Reliability(0, 0), 1.0);
  EXPECT_EQ(Reliability(1000, 0), 1.0);
  EXPECT_EQ(Reliability(0, 1), 0.5);
  EXPECT_LT(Reliability(1000, 1), 1.0);
  SeededRandom rng(11);
  std::vector<OfferInfo> offers = {Offer(1, 1000, 50, 10, Reliability(1000, 0)), Offer(2, 1000, 50, 10, Reliability(0, 0))};
  int first[2] = {0, 0};
  for (int i = 0; i < 400; ++i) ++first[RankOffers(offers, Crit(5000), rng).order.at(0)];
  EXPECT_GT(first[0], 140);
  EXPECT_GT(first[1], 140);
  // One failed check in two puts a provider behind the fresh one.
  offers[0].reliability = Reliability(1, 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(RankOffers(offers, Crit(5000), rng).order.at(0), 1u);
}

TEST(MatcherTest, EqualNearTiesAreSpreadAtRandom) {
  SeededRandom rng(3);
  std::vector<OfferInfo> offers = {Offer(1, 1000), Offer(2, 1010), Offer(3, 1005), Offer(4, 5000)};
  std::map<size_t, int> first;
  for (int i = 0; i < 300; ++i) ++first[RankOffers(offers, Crit(10000), rng).order[0]];
  EXPECT_EQ(first.count(3), 0u);  // never the expensive one
  for (size_t i : {0u, 1u, 2u}) EXPECT_GT(first[i], 50) << i;
}

TEST(MatcherTest, FiltersNameTheReason) {
  SeededRandom rng(1);
  EXPECT_EQ(RankOffers({}, Crit(100), rng).reason, Unmet::kNoProvider);
  std::vector<OfferInfo> offers = {Offer(1, 300), Offer(2, 200, 5)};
  EXPECT_EQ(RankOffers(offers, Crit(100), rng).reason, Unmet::kTooExpensive);
  // The affordable one is too slow.
  auto r = RankOffers(offers, Crit(250, 10), rng);
  EXPECT_TRUE(r.order.empty());
  EXPECT_EQ(r.reason, Unmet::kTooSlow);
  // Observed TPS overrides the claim.
  offers[1].observed_tps = 12;
  r = RankOffers(offers, Crit(250, 10), rng);
  ASSERT_EQ(r.order.size(), 1u);
  EXPECT_EQ(r.order[0], 1u);
  offers[1].banned = true;
  EXPECT_EQ(RankOffers(offers, Crit(250, 10), rng).reason, Unmet::kAllBanned);
  offers[1].banned = false;
  offers[1].free_slots = 0;
  EXPECT_EQ(RankOffers(offers, Crit(250, 10), rng).reason, Unmet::kAllBusy);
}

// H1: the cheapest offer asked for a 100,000 s minimum, won the match and billed 40 MOR for a
// 5 s session. An offer whose minimum session is longer than the RFC wants is not matched.
TEST(MatcherTest, H1_OffersWhoseMinimumExceedsWantSecondsAreSkipped) {
  SeededRandom rng(1);
  std::vector<OfferInfo> offers = {Offer(1, 100), Offer(2, 200)};
  offers[0].min_seconds = 100000;
  offers[1].min_seconds = 60;
  MatchCriteria c = Crit(1000);
  c.want_seconds = 600;
  auto r = RankOffers(offers, c, rng);
  ASSERT_EQ(r.order.size(), 1u);
  EXPECT_EQ(r.order[0], 1u);
  c.want_seconds = 30;
  r = RankOffers(offers, c, rng);
  EXPECT_TRUE(r.order.empty());
  EXPECT_EQ(r.reason, Unmet::kMinSecondsTooLong);
  EXPECT_EQ(UnmetName(r.reason), "min_seconds_too_long");
}

// The client's failover: providers named in the RFC's excludeProviders are never matched.
TEST(MatcherTest, U1_ExcludedProvidersAreSkipped) {
  SeededRandom rng(1);
  std::vector<OfferInfo> offers = {Offer(1, 100), Offer(2, 200)};
  MatchCriteria c = Crit(1000);
  c.exclude = {Addr(1)};
  auto r = RankOffers(offers, c, rng);
  ASSERT_EQ(r.order.size(), 1u);
  EXPECT_EQ(r.order[0], 1u);
  c.exclude = {Addr(1), Addr(2)};
  r = RankOffers(offers, c, rng);
  EXPECT_EQ(r.reason, Unmet::kAllExcluded);
}

TEST(MatcherTest, BannedAndBusyAreSkipped) {
  SeededRandom rng(1);
  std::vector<OfferInfo> offers = {Offer(1, 100), Offer(2, 200), Offer(3, 300)};
  offers[0].banned = true;
  offers[1].free_slots = 0;
  auto r = RankOffers(offers, Crit(1000), rng);
  ASSERT_EQ(r.order.size(), 1u);
  EXPECT_EQ(r.order[0], 2u);
}

TEST(PriorityClassTest, IsFloorLog2OfOnePlusWholeMor) {
  EXPECT_EQ(PriorityClass(U256()), 0);
  EXPECT_EQ(PriorityClass(*U256::FromMor("0.9")), 0);
  EXPECT_EQ(PriorityClass(*U256::FromMor("1")), 1);
  EXPECT_EQ(PriorityClass(*U256::FromMor("2.5")), 1);
  EXPECT_EQ(PriorityClass(*U256::FromMor("3")), 2);
  EXPECT_EQ(PriorityClass(*U256::FromMor("1023")), 10);
  EXPECT_EQ(PriorityClass(U256::Max()), 196);
}

TEST(AgeingQueueTest, HigherClassFirstFifoInsideAClass) {
  AgeingQueue q(10, 1000);
  ASSERT_TRUE(q.Push(1, 0, 0).admitted);
  ASSERT_TRUE(q.Push(2, 3, 10).admitted);
  ASSERT_TRUE(q.Push(3, 3, 20).admitted);
  ASSERT_TRUE(q.Push(4, 1, 30).admitted);
  EXPECT_EQ(*q.Pop(), 2u);
  EXPECT_EQ(*q.Pop(), 3u);
  EXPECT_EQ(*q.Pop(), 4u);
  EXPECT_EQ(*q.Pop(), 1u);
  EXPECT_FALSE(q.Pop().has_value());
}

TEST(AgeingQueueTest, WaitingLongEnoughOvertakesNewHighClasses) {
  AgeingQueue q(10, 1000);
  q.Push(1, 0, 0);        // class 0 at t=0
  q.Push(2, 2, 2500);     // class 2 arriving 2.5 s later: 0 has aged 2.5 classes
  EXPECT_EQ(*q.Pop(), 1u);
  q.Push(3, 0, 10000);
  q.Push(4, 2, 11500);    // only 1.5 s later: the class 2 is still ahead
  EXPECT_EQ(*q.Pop(), 2u);
  EXPECT_EQ(*q.Pop(), 4u);
}

TEST(AgeingQueueTest, FullQueueShedsTheLowestClassFirst) {
  AgeingQueue q(3, 1000);
  q.Push(1, 0, 0);
  q.Push(2, 1, 0);
  q.Push(3, 0, 1);
  // A class-5 newcomer evicts the lowest, newest class-0 waiter.
  auto r = q.Push(4, 5, 2);
  EXPECT_TRUE(r.admitted);
  ASSERT_TRUE(r.evicted.has_value());
  EXPECT_EQ(*r.evicted, 3u);
  // A class-0 newcomer is itself the lowest: shed.
  r = q.Push(5, 0, 3);
  EXPECT_FALSE(r.admitted);
  EXPECT_FALSE(r.evicted.has_value());
  EXPECT_EQ(q.size(), 3u);
}

TEST(PriorityGateTest, FloodOfLowBalanceDoesNotDelayOrShedHighBalance) {
  FakeClock clock;
  QueueOptions o;
  o.max_active = 1;
  o.max_waiting = 8;
  o.max_wait_ms = 5000;
  PriorityGate gate(o, &clock);
  auto hold = gate.Enter(0);
  ASSERT_TRUE(hold.ok());
  std::atomic<int> low_shed{0}, low_done{0};
  std::vector<std::thread> flood;
  std::mutex order_mu;
  std::vector<int> order;
  for (int i = 0; i < 40; ++i) {
    flood.emplace_back([&, i] {
      auto p = gate.Enter(0);
      if (!p.ok()) {
        ++low_shed;
        return;
      }
      std::lock_guard<std::mutex> l(order_mu);
      order.push_back(i);
      ++low_done;
    });
  }
  // Wait until the queue is full of low-class waiters.
  for (int i = 0; i < 500 && gate.waiting() < 8; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  while (low_shed < 32) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(gate.waiting(), 8u);
  bool high_ok = false;
  std::thread high([&] {
    auto p = gate.Enter(10);  // 1023+ MOR
    high_ok = p.ok();
    std::lock_guard<std::mutex> l(order_mu);
    order.push_back(1000);
  });
  for (int i = 0; i < 500 && gate.shed_count() < 33; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(gate.shed_count(), 33u);  // one more low waiter made room for the high one
  hold->Release();                    // the slot frees: the high one goes first
  high.join();
  for (auto& t : flood) t.join();
  EXPECT_TRUE(high_ok);
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front(), 1000);
  EXPECT_EQ(low_shed.load(), 33);
  EXPECT_EQ(low_done.load(), 7);
}

TEST(ProviderBookTest, BanBacksOffDoublingAndSuccessResets) {
  FakeClock clock;
  ProviderBook book(ProviderBookOptions{}, &clock);
  crypto::Address p = Addr(9);
  book.RecordLiveness(p, false, 1, -1);
  EXPECT_TRUE(book.IsBanned(p));
  EXPECT_EQ(book.BanRemainingMs(p), 15000u);
  clock.AdvanceMillis(14999);
  EXPECT_TRUE(book.IsBanned(p));
  clock.AdvanceMillis(1);
  EXPECT_FALSE(book.IsBanned(p));
  book.RecordLiveness(p, false, 1, -1);
  EXPECT_EQ(book.BanRemainingMs(p), 30000u);
  clock.AdvanceSeconds(30);
  book.RecordLiveness(p, false, 1, -1);
  EXPECT_EQ(book.BanRemainingMs(p), 60000u);
  clock.AdvanceSeconds(60);
  book.RecordLiveness(p, true, 5, 2);
  book.RecordLiveness(p, false, 1, -1);
  EXPECT_EQ(book.BanRemainingMs(p), 15000u);
}

TEST(ProviderBookTest, EndpointsGiveSessionAndLivenessUrls) {
  auto e = ParseProviderEndpoint("10.0.0.1:7070");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->session, "10.0.0.1:7070");
  EXPECT_EQ(e->http, "http://10.0.0.1:7071");
  e = ParseProviderEndpoint("10.0.0.1:7070;http://10.0.0.2:9000/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->http, "http://10.0.0.2:9000");
  EXPECT_FALSE(ParseProviderEndpoint("nonsense").ok());
  EXPECT_FALSE(ParseProviderEndpoint("h:1;ftp://x").ok());
  // fuzz_router_api's find: a liveness URL with no host was accepted as "http:".
  EXPECT_FALSE(ParseProviderEndpoint("120.0.1:7070;http://").ok());
  EXPECT_FALSE(ParseProviderEndpoint("h:1;http:///").ok());
}

}  // namespace
}  // namespace lt::router
