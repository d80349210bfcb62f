// IntakeJournal: the append-only file in front of the router's nonce and ticket tables
// (doc/router.md "Storage").
//
// Every RFC spends a nonce and most get a ticket; writing those rows into SQLite one small
// transaction at a time costs more than the RFC's signature work (each commit rewrites whole
// B-tree pages into the WAL). Instead the RFC's rows are appended to this journal with one
// write() before the RFC is answered. That is as durable as the
// NORMAL connection was: the bytes are in the OS page cache, so they survive a process crash
// (kill -9 included) and only an OS crash or power loss may drop the last ones. A background
// applier moves the rows into SQLite in large transactions and then truncates the journal;
// opening the store replays whatever a crash left in it. Replaying is idempotent (INSERT OR
// IGNORE for nonces, INSERT OR REPLACE for tickets).
//
// Format: one JSON object per line,
//   {"n":"<nonce key hex>","e":<nonce expiry>}                           an RFC without a ticket
//   {"n":..,"e":..,"s":"0x<session id>","u":"0x<user>","x":<ticket expiry>,"m":"<model>",
//    "t":<ticket JSON>}                                                   an RFC with its ticket
// A last line without its newline (a write cut short) is ignored; any other line that does not
// parse makes Open fail with kCorrupt naming the line, rather than silently dropping nonces.
// The file is created with mode 0600; it names users only until the next apply (tens of ms).
// Thread-safety: none (RouterStore serializes access).
#ifndef LT_ROUTER_INTAKE_JOURNAL_H_
#define LT_ROUTER_INTAKE_JOURNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace lt::router {

// One RFC's rows, already in the form the tables store.
struct IntakeRow {
  std::string nonce_key;
  uint64_t nonce_expires = 0;
  bool has_ticket = false;
  std::string session_id;  // 0x hex
  std::string user;        // 0x lower hex
  uint64_t ticket_expires = 0;
  std::string model;
  std::string ticket_json;

  std::string ToLine() const;  // with the trailing newline
  static Result<IntakeRow> FromLine(std::string_view line);
};

class IntakeJournal {
 public:
  // Opens (creating) the journal and returns the rows it holds in `replay`.
  static Result<std::unique_ptr<IntakeJournal>> Open(const std::string& path, std::vector<IntakeRow>* replay);
  ~IntakeJournal();
  IntakeJournal(const IntakeJournal&) = delete;
  IntakeJournal& operator=(const IntakeJournal&) = delete;

  // Appends the rows with a single write() (retried until complete).
  Status Append(const std::vector<IntakeRow>& rows);
  // Empties the file once its rows are in SQLite.
  Status Truncate();
  const std::string& path() const { return path_; }

 private:
  IntakeJournal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace lt::router

#endif  // LT_ROUTER_INTAKE_JOURNAL_H_
