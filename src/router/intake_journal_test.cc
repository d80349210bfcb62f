// The intake journal: its line format, a write cut short by a crash, a damaged line, and the
// store replaying what a crash left behind.
#include "router/intake_journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "router/store.h"
#include "testkit/router_world.h"

namespace lt::router {
namespace {

namespace fs = std::filesystem;

class IntakeJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lt-intake-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static IntakeRow WithTicket(uint8_t id) {
    IntakeRow r;
    r.nonce_key = std::string(64, 'a' + id % 6);
    r.nonce_expires = 1000 + id;
    r.has_ticket = true;
    wire::Ticket t;
    t.session_id[0] = id;
    t.user = testkit::Key(id).GetAddress();
    t.expires_at = 2000 + id;
    r.session_id = HexEncode0x(t.session_id);
    r.user = t.user.ToLowerHex();
    r.ticket_expires = t.expires_at;
    r.model = "acme/tiny:v1";
    r.ticket_json = wire::ToJson(t).dump();
    return r;
  }
  static void WriteFile(const fs::path& p, const std::string& data) {
    std::ofstream f(p, std::ios::binary | std::ios::app);
    f << data;
  }
  fs::path dir_;
};

TEST_F(IntakeJournalTest, LinesRoundTrip) {
  IntakeRow bare;
  bare.nonce_key = std::string(64, 'f');
  bare.nonce_expires = 77;
  auto b = IntakeRow::FromLine(bare.ToLine());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_FALSE(b->has_ticket);
  EXPECT_EQ(b->nonce_key, bare.nonce_key);
  EXPECT_EQ(b->nonce_expires, 77u);
  IntakeRow full = WithTicket(3);
  auto f = IntakeRow::FromLine(full.ToLine());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_TRUE(f->has_ticket);
  EXPECT_EQ(f->session_id, full.session_id);
  EXPECT_EQ(f->user, full.user);
  EXPECT_EQ(f->ticket_expires, full.ticket_expires);
  EXPECT_EQ(f->model, full.model);
  EXPECT_EQ(nlohmann::json::parse(f->ticket_json), nlohmann::json::parse(full.ticket_json));
  EXPECT_FALSE(IntakeRow::FromLine(R"({"n":"x"})").ok());
  EXPECT_FALSE(IntakeRow::FromLine(R"({"n":"x","e":1,"t":{}})").ok());  // a ticket without its columns
}

TEST_F(IntakeJournalTest, AppendsReplayAndATornLastLineIsIgnored) {
  fs::path p = dir_ / "j";
  {
    std::vector<IntakeRow> replay;
    auto j = IntakeJournal::Open(p.string(), &replay);
    ASSERT_TRUE(j.ok()) << j.error().message;
    EXPECT_TRUE(replay.empty());
    ASSERT_TRUE((*j)->Append({WithTicket(1), WithTicket(2)}).ok());
    ASSERT_TRUE((*j)->Append({WithTicket(3)}).ok());
  }
  EXPECT_EQ(fs::status(p).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  std::string torn = WithTicket(4).ToLine();
  WriteFile(p, torn.substr(0, torn.size() / 2));  // a write cut short
  std::vector<IntakeRow> replay;
  auto j = IntakeJournal::Open(p.string(), &replay);
  ASSERT_TRUE(j.ok()) << j.error().message;
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_EQ(replay[2].session_id, WithTicket(3).session_id);
  ASSERT_TRUE((*j)->Truncate().ok());
  EXPECT_EQ(fs::file_size(p), 0u);
}

TEST_F(IntakeJournalTest, ADamagedLineIsAnErrorNamingIt) {
  fs::path p = dir_ / "j";
  WriteFile(p, WithTicket(1).ToLine() + "garbage\n" + WithTicket(2).ToLine());
  std::vector<IntakeRow> replay;
  auto j = IntakeJournal::Open(p.string(), &replay);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(j.error().message.find("line 2"), std::string::npos) << j.error().message;
}

// What a kill -9 leaves: rows in the journal that never reached the tables.
TEST_F(IntakeJournalTest, StoreReplaysTheJournalOnOpen) {
  std::string db = (dir_ / "router.db").string();
  auto user = testkit::Key(9);
  std::string key;
  {
    auto store = RouterStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.error().message;
    key = (*store)->NonceKey(user.GetAddress(), 42);
  }
  IntakeRow row = WithTicket(5);
  row.nonce_key = key;
  row.nonce_expires = 4000000000;
  IntakeRow bare;  // an RFC that got no ticket, in the other file
  bare.nonce_key = std::string(64, '7');
  bare.nonce_expires = 4000000000;
  WriteFile(db + "-intake.0", row.ToLine());
  WriteFile(db + "-intake.1", bare.ToLine());
  auto store = RouterStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(fs::file_size(db + "-intake.0"), 0u);
  EXPECT_EQ(fs::file_size(db + "-intake.1"), 0u);
  auto nonces = (*store)->LoadNonces(0);
  ASSERT_TRUE(nonces.ok());
  ASSERT_EQ(nonces->size(), 2u);
  EXPECT_TRUE((*nonces)[0].key == key || (*nonces)[1].key == key);
  Hash32 sid{};
  sid[0] = 5;
  auto t = (*store)->GetTicket(sid);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->model, "acme/tiny:v1");
}

// Rows just written are visible to every reader at once, before the applier runs.
TEST_F(IntakeJournalTest, ReadersSeeRowsStillInTheJournal) {
  auto store = RouterStore::Open((dir_ / "router.db").string());
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto user = testkit::Key(8);
  TicketRow t;
  t.ticket.session_id[0] = 9;
  t.ticket.user = user.GetAddress();
  t.ticket.expires_at = 4000000000;
  t.model = "acme/tiny:v1";
  ASSERT_TRUE((*store)->PutNonceAndTicket(user.GetAddress(), 1, 4000000000, &t).ok());
  auto got = (*store)->GetTicket(t.ticket.session_id);
  ASSERT_TRUE(got.ok() && got->has_value());
  auto open = (*store)->OpenTickets(0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 1u);
  EXPECT_EQ((*store)->LoadNonces(0)->size(), 1u);
}

}  // namespace
}  // namespace lt::router
