#include "wire/billing.h"

#include <algorithm>

namespace lt::wire {

uint32_t BilledSeconds(const Ticket& t, uint32_t voucher_seconds) {
  uint32_t s = std::max(std::min(voucher_seconds, t.max_seconds), t.min_seconds);
  return std::min(s, t.max_seconds);
}

std::optional<U256> SessionCost(const Ticket& t, uint32_t voucher_seconds) {
  return t.price_per_second.CheckedMul(U256(BilledSeconds(t, voucher_seconds)));
}

U256 WorstCost(const Ticket& t) { return t.price_per_second.CheckedMul(U256(t.max_seconds)).value_or(U256::Max()); }

}  // namespace lt::wire
