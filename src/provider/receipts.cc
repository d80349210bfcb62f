#include "provider/receipts.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "net/http.h"
#include "util/log.h"

namespace lt::provider {

using nlohmann::json;

U256 ReceiptCost(const Receipt& r) {
  const wire::Ticket& t = r.ticket.ticket;
  uint32_t seconds = std::min(r.voucher.voucher.seconds, t.max_seconds);
  seconds = std::max(seconds, t.min_seconds);
  return t.price_per_second.CheckedMul(U256(seconds)).value_or(U256::Max());
}

json ReceiptToJson(const Receipt& r) {
  return {{"ticket", r.ticket.ticket.ToJson()},
          {"ticketSig", HexEncode0x(r.ticket.router_sig)},
          {"voucher", r.voucher.voucher.ToJson()},
          {"voucherSig", HexEncode0x(r.voucher.user_sig)},
          {"cost", ReceiptCost(r).ToDecimal()},
          {"closeReason", r.close_reason}};
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

RouterReceiptSink::RouterReceiptSink(std::vector<std::string> router_urls, std::string spool_path)
    : routers_(std::move(router_urls)), spool_path_(std::move(spool_path)) {
  worker_ = std::thread([this] {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      json j = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      Deliver(j);
      l.lock();
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

void RouterReceiptSink::Deliver(const json& j) {
  for (const auto& url : routers_) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = 2000;
    o.read_timeout_ms = 5000;
    auto c = net::HttpClient::Create(url, o);
    if (!c.ok()) continue;
    auto resp = c->Post("/receipts", j.dump());
    if (resp.ok() && resp->status / 100 == 2) return;
    LT_WARN("receipts: router " << url << " did not take the receipt: "
                                << (resp.ok() ? "HTTP " + std::to_string(resp->status) : resp.error().message));
  }
  Spool(j);
}

void RouterReceiptSink::Spool(const json& j) {
  int fd = ::open(spool_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    LT_ERROR("receipts: cannot open spool " << spool_path_ << "; receipt for session "
                                            << j["ticket"]["sessionId"].get<std::string>() << " lost");
    return;
  }
  std::string line = j.dump() + "\n";
  ssize_t n = ::write(fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) LT_ERROR("receipts: short write to " << spool_path_);
  ::fsync(fd);
  ::close(fd);
}

}  // namespace lt::provider
