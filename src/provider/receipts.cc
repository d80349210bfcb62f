#include "provider/receipts.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "wire/billing.h"
#include "wire/router_api.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::provider {

using nlohmann::json;

U256 ReceiptCost(const Receipt& r) {
  return wire::SessionCost(r.ticket.ticket, r.voucher.voucher.seconds).value_or(U256::Max());
}

json ReceiptToJson(const Receipt& r) {
  json j = r.wire::Receipt::ToJson();
  j["cost"] = ReceiptCost(r).ToDecimal();
  j["closeReason"] = r.close_reason;
  return j;
}

Result<Receipt> ReceiptFromJson(const json& j) {
  Receipt r;
  LT_TRY(static_cast<wire::Receipt&>(r), wire::Receipt::FromJson(j));
  r.close_reason = j.value("closeReason", json("")).is_string() ? j.value("closeReason", std::string()) : "";
  return r;
}

void MemoryReceiptSink::Submit(const Receipt& r) {
  std::lock_guard<std::mutex> l(mu_);
  receipts_.push_back(r);
}
std::vector<Receipt> MemoryReceiptSink::Take() {
  std::lock_guard<std::mutex> l(mu_);
  return std::move(receipts_);
}
size_t MemoryReceiptSink::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return receipts_.size();
}

namespace {
ReceiptSinkOptions RoutersOnly(std::vector<std::string> routers, std::string spool) {
  ReceiptSinkOptions o;
  o.routers = std::move(routers);
  o.spool_path = std::move(spool);
  return o;
}
}  // namespace

RouterReceiptSink::RouterReceiptSink(std::vector<std::string> router_urls, std::string spool_path)
    : RouterReceiptSink(RoutersOnly(std::move(router_urls), std::move(spool_path))) {}

namespace {

rpc::RouterClientOptions ReceiptTimeouts() {
  rpc::RouterClientOptions o;
  o.http.connect_timeout_ms = 2000;
  o.http.read_timeout_ms = 5000;
  return o;
}

}  // namespace

RouterReceiptSink::RouterReceiptSink(ReceiptSinkOptions options)
    : o_(std::move(options)), routers_(o_.routers, ReceiptTimeouts()) {
  if (o_.retry_seconds == 0) o_.retry_seconds = 1;
  worker_ = GuardedThread("receipts", [this] {
    std::unique_lock<std::mutex> l(mu_);
    auto next_retry = std::chrono::steady_clock::now();
    while (true) {
      cv_.wait_until(l, next_retry, [this] { return stop_ || !queue_.empty(); });
      if (!queue_.empty()) {
        json j = std::move(queue_.front());
        queue_.pop_front();
        l.unlock();
        Deliver(j);
        l.lock();
        continue;
      }
      if (stop_) return;
      // Spool retries: when due, or at once when the ledger is the only way out.
      bool direct_only = o_.routers.empty() && o_.settle_direct;
      if (std::chrono::steady_clock::now() >= next_retry || (direct_only && spool_dirty_)) {
        spool_dirty_ = false;
        l.unlock();
        RetrySpool();
        l.lock();
        next_retry = std::chrono::steady_clock::now() + std::chrono::seconds(o_.retry_seconds);
      }
    }
  });
}

RouterReceiptSink::~RouterReceiptSink() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void RouterReceiptSink::Submit(const Receipt& r) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(ReceiptToJson(r));
  }
  cv_.notify_all();
}

json RouterReceiptSink::Describe() const {
  std::lock_guard<std::mutex> l(mu_);
  return {{"to_routers", to_routers_},
          {"settled_directly", settled_directly_},
          {"spooled", spooled_},
          {"refused", refused_},
          {"last_error", last_error_}};
}

bool RouterReceiptSink::ToRouters(const json& j) {
  auto receipt = wire::Receipt::FromJson(j);  // the wire form; spool bookkeeping keys are ignored
  if (!receipt.ok()) {
    LT_WARN("receipts: a queued receipt does not parse: " << receipt.error().message);
    return false;
  }
  if (o_.countersign) receipt->provider_sig = o_.countersign(*receipt);
  rpc::RouterFailure failure;
  if (routers_.PostReceipt(*receipt, &failure).ok()) {
    std::lock_guard<std::mutex> l(mu_);
    ++to_routers_;
    return true;
  }
  LT_WARN("receipts: no router took the receipt: " << failure.message);
  return false;
}

void RouterReceiptSink::Deliver(const json& j) {
  if (ToRouters(j)) return;
  json s = j;
  s["spooledAt"] = SystemClock::Default()->NowSeconds();
  s["attempts"] = 0;
  Spool(s);
  std::lock_guard<std::mutex> l(mu_);
  ++spooled_;
  spool_dirty_ = true;
}

namespace {

bool AppendLine(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ssize_t n = ::write(fd, line.data(), line.size());
  bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

void RouterReceiptSink::Spool(const json& j) {
  if (!AppendLine(o_.spool_path, j.dump() + "\n")) {
    LT_ERROR("receipts: cannot write the spool " << o_.spool_path << "; receipt for session "
                                                 << j["ticket"].value("sessionId", std::string("?")) << " kept in memory only");
    std::lock_guard<std::mutex> l(mu_);
    unwritten_.push_back(j);  // written by the next spool retry
  }
}

void RouterReceiptSink::RetrySpool() {
  std::vector<json> unwritten;
  {
    std::lock_guard<std::mutex> l(mu_);
    unwritten.swap(unwritten_);
  }
  for (const auto& j : unwritten) Spool(j);
  auto text = RealFileSystem::Default()->ReadFile(o_.spool_path, 256u << 20);
  if (!text.ok() || text->empty()) return;
  std::vector<json> keep, direct;
  std::vector<Receipt> direct_receipts;
  uint64_t now = SystemClock::Default()->NowSeconds();
  size_t pos = 0;
  bool changed = false;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text->size() : nl + 1;
    if (line.empty()) continue;
    json j = ParseJson(line);
    auto r = j.is_discarded() ? Result<Receipt>(InvalidArgument("not JSON")) : ReceiptFromJson(j);
    if (!r.ok()) {
      LT_ERROR("receipts: unreadable spool line moved to " << o_.spool_path << ".refused: " << r.error().message);
      AppendLine(o_.spool_path + ".refused", line + "\n");
      changed = true;
      continue;
    }
    if (!o_.routers.empty() && ToRouters(j)) {
      changed = true;
      continue;
    }
    uint64_t at = j.value("spooledAt", json(0)).is_number_unsigned() ? j["spooledAt"].get<uint64_t>() : 0;
    if (o_.settle_direct && direct.size() < 1000 && (o_.routers.empty() || now >= at + o_.direct_after_seconds)) {
      direct.push_back(j);
      direct_receipts.push_back(*r);
    } else {
      keep.push_back(j);
    }
  }
  if (!direct.empty()) {
    changed = true;
    auto outcomes = o_.settle_direct(direct_receipts);
    for (size_t i = 0; i < direct.size(); ++i) {
      json& j = direct[i];
      std::string sid = j["ticket"].value("sessionId", std::string("?"));
      if (outcomes.ok() && i < outcomes->size() && (*outcomes)[i].done) {
        LT_INFO("receipts: session " << sid << " settled directly with the ledger");
        std::lock_guard<std::mutex> l(mu_);
        ++settled_directly_;
        continue;
      }
      std::string err = outcomes.ok() ? (i < outcomes->size() ? (*outcomes)[i].error : "no outcome")
                                      : outcomes.error().message;
      {
        std::lock_guard<std::mutex> l(mu_);
        last_error_ = err;
      }
      if (!outcomes.ok()) {  // the ledger was not reached: not an attempt
        keep.push_back(j);
        continue;
      }
      uint32_t attempts = (j.value("attempts", json(0)).is_number_unsigned() ? j["attempts"].get<uint32_t>() : 0) + 1;
      j["attempts"] = attempts;
      j["lastError"] = err;
      LT_WARN("receipts: ledger refused session " << sid << " (attempt " << attempts << "): " << err);
      if (attempts >= o_.max_attempts) {
        AppendLine(o_.spool_path + ".refused", j.dump() + "\n");
        std::lock_guard<std::mutex> l(mu_);
        ++refused_;
      } else {
        keep.push_back(j);
      }
    }
    if (!outcomes.ok()) LT_WARN("receipts: direct settlement failed (will retry): " << outcomes.error().message);
  }
  if (!changed) return;
  // Rewrite the spool with what is left. Only this thread writes the spool, so nothing was
  // appended meanwhile.
  std::string rest;
  for (const auto& j : keep) rest += j.dump() + "\n";
  std::string tmp = o_.spool_path + ".tmp";
  std::remove(tmp.c_str());
  if (!rest.empty() && !AppendLine(tmp, rest)) {
    LT_ERROR("receipts: cannot rewrite the spool " << o_.spool_path << " (kept as it was)");
    return;
  }
  if (rest.empty()) {
    std::remove(o_.spool_path.c_str());
  } else if (std::rename(tmp.c_str(), o_.spool_path.c_str()) != 0) {
    LT_ERROR("receipts: cannot replace the spool " << o_.spool_path);
  }
}

}  // namespace lt::provider
