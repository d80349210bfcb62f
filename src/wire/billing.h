// The session cost rule (DESIGN §3, doc/ledger.md "Settlement"), in one place for the ledger,
// the router and the provider, so they never disagree on what a receipt costs:
//
//   billed seconds = the voucher's seconds, at most the ticket's maxSeconds, at least its
//                    minSeconds, and never more than maxSeconds (a ticket whose minSeconds
//                    exceeds its maxSeconds bills maxSeconds; the ledger refuses such tickets)
//   cost           = pricePerSecond × billed seconds
//
// So nobody pays more than pricePerSecond × maxSeconds for a ticket.
// Thread-safety: pure functions.
#ifndef LT_WIRE_BILLING_H_
#define LT_WIRE_BILLING_H_

#include <cstdint>
#include <optional>

#include "util/uint256.h"
#include "wire/messages.h"

namespace lt::wire {

uint32_t BilledSeconds(const Ticket& t, uint32_t voucher_seconds);

// pricePerSecond × BilledSeconds; nullopt when it overflows uint256.
std::optional<U256> SessionCost(const Ticket& t, uint32_t voucher_seconds);

// The most a ticket can cost: pricePerSecond × maxSeconds (saturating at 2^256-1).
U256 WorstCost(const Ticket& t);

}  // namespace lt::wire

#endif  // LT_WIRE_BILLING_H_
