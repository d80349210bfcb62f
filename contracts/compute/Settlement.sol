// SPDX-License-Identifier: MIT
// Settlement: settle_batch as doc/ledger.md defines it, with both signatures of every receipt
// recovered on-chain. Per receipt, in the embedded ledger's order (src/ledger/rules.cc,
// src/ledger/tx.cc CheckReceipt): the voucher is for the ticket's session, the ticket is signed by
// its router, the voucher by the ticket's user; the batch sender is the ticket's router or
// provider; the session id was never settled; the router is staked; the manifest is registered;
// the cost fits in 256 bits. A refused receipt is reported (ReceiptRefused) and the rest settle;
// a batch in which none settles reverts with NoReceiptSettled.
//
// Gas (doc/contracts.md "Gas"): the pools, the day's counters and the statistics are summed in
// memory and written once per batch; the router's stake, the model of a manifest, the provider's
// credit and the builder's credit and seconds are kept in memory while consecutive receipts share
// them and written once per run (a router sorts its batch by provider and model to make the runs
// long); replay protection sets one bit in a word shared by 256 session ids.
pragma solidity ^0.8.24;

import {Registry} from "./Registry.sol";
import {Receipt, Ticket, Refusal} from "./Types.sol";

abstract contract Settlement is Registry {
    uint256 internal constant MAX_RECEIPTS = 10000;

    // What one batch keeps in memory (see the file comment).
    struct Batch {
        address sender;
        uint32 tag;
        uint256 usersShare;
        uint256 circulating;
        uint256 pool;
        uint256 allowanceSpent;
        uint256 modelSeconds;
        uint256 agentSeconds;
        uint256 settled;
        // router run
        address router;
        uint256 routerStake;
        bool routerChanged;
        // model run
        bytes32 manifest;
        bool modelLoaded;
        address owner;
        uint8 kind;
        uint16 fee;
        bool modelOk;
        // provider run
        address provider;
        uint256 providerCredit;
        // builder run
        address builder;
        uint256 builderCredit;
        uint256 builderModel;
        uint256 builderAgent;
    }

    // Settles `rs` for `sender`. `hashes` holds hashStruct(ticket), hashStruct(voucher) of each
    // receipt when the caller computed them already (the signed form), else it is empty.
    function _settle(address sender, Receipt[] calldata rs, bytes32[] memory hashes) internal {
        uint256 n = rs.length;
        if (n == 0) revert EmptyBatch();
        if (n > MAX_RECEIPTS) revert TooManyReceipts(n, MAX_RECEIPTS);
        Batch memory b;
        b.sender = sender;
        b.tag = _tag();
        {
            Today memory t = today;
            b.usersShare = _usersShare(t.budget);
            b.circulating = t.circulating;
        }
        b.pool = globals.computePool;
        bytes memory reasons = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            Receipt calldata r = rs[i];
            (bytes32 th, bytes32 vh) =
                hashes.length == 0 ? (_hashTicket(r.ticket), _hashVoucher(r.voucher)) : (hashes[2 * i], hashes[2 * i + 1]);
            uint8 why = _check(b, r, th, vh);
            uint256 cost;
            uint32 billed;
            if (why == 0) {
                Ticket calldata t = r.ticket;
                uint32 secs = r.voucher.seconds_ < t.maxSeconds ? r.voucher.seconds_ : t.maxSeconds;
                billed = secs > t.minSeconds ? secs : t.minSeconds;
                unchecked {
                    cost = t.pricePerSecond * billed;
                    if (billed != 0 && cost / billed != t.pricePerSecond) why = Refusal.COST_OVERFLOW;
                }
                if (why == 0 && t.minSeconds > t.maxSeconds) why = Refusal.MIN_ABOVE_MAX;
                if (why == 0 && t.minSeconds > maxMinSeconds) why = Refusal.MIN_ABOVE_CAP;
                if (why == 0 && address(bytes20(t.sessionId)) != t.router) why = Refusal.SESSION_NOT_ROUTERS;
            }
            if (why != 0) {
                reasons[i] = bytes1(why);
                emit ReceiptRefused(r.ticket.sessionId, why);
                continue;
            }
            _pay(b, r.ticket, cost, billed);
        }
        if (b.settled == 0) revert NoReceiptSettled(reasons);
        _flushRouter(b);
        _flushProvider(b);
        _flushBuilder(b);
        globals.computePool = uint96(b.pool);
        Spend storage s = spend;
        s.allowanceSpent = _u96(s.allowanceSpent + b.allowanceSpent);
        s.modelSeconds += uint56(b.modelSeconds);
        s.agentSeconds += uint56(b.agentSeconds);
        s.sessions += uint48(b.settled);
        Stats storage st = stats;
        st.sessionsSettled += uint64(b.settled);
        st.receiptsRefused += uint64(n - b.settled);
        st.settleBatches += 1;
        emit BatchSettled(sender, b.settled, n - b.settled);
    }

    // The reason receipt `r` cannot settle, or 0. Loads the router and model runs as it goes.
    function _check(Batch memory b, Receipt calldata r, bytes32 th, bytes32 vh) private returns (uint8) {
        Ticket calldata t = r.ticket;
        if (r.voucher.sessionId != t.sessionId) return Refusal.VOUCHER_OTHER_SESSION;
        address router = t.router;
        address signer = _recover(_digest(th), r.ticketSig);
        if (signer == address(0) || signer != router) return Refusal.TICKET_NOT_BY_ROUTER;
        signer = _recover(_digest(vh), r.voucherSig);
        if (signer == address(0) || signer != t.user) return Refusal.VOUCHER_NOT_BY_USER;
        if (router != b.sender && t.provider != b.sender) return Refusal.SENDER_NOT_ROUTER_OR_PROVIDER;
        uint256 id = uint256(t.sessionId);
        uint256 word = settledBits[id >> 8];
        uint256 bit = 1 << (id & 0xff);
        if (word & bit != 0) return Refusal.ALREADY_SETTLED;
        if (router != b.router) {
            _flushRouter(b);
            b.router = router;
            b.routerStake = accounts[router].routerStake;
        }
        if (b.routerStake == 0 || b.routerStake < minRouterStake) return Refusal.ROUTER_NOT_STAKED;
        bytes32 manifest = t.manifest;
        if (!b.modelLoaded || manifest != b.manifest) {
            b.modelLoaded = true;
            b.manifest = manifest;
            Model memory m = models[manifestModel[manifest]];
            b.modelOk = m.exists;
            b.owner = m.owner;
            b.kind = m.kind;
            b.fee = m.builderFeeBps;
        }
        if (!b.modelOk) return Refusal.MANIFEST_NOT_REGISTERED;
        return 0;
    }

    // Pays cost c of a checked receipt: from the user's allowance left (drawn from the compute
    // pool), then the user's vault, then the ticket router's stake; the rest is the shortfall.
    function _pay(Batch memory b, Ticket calldata t, uint256 c, uint32 billed) private {
        uint256 id = uint256(t.sessionId);
        settledBits[id >> 8] |= 1 << (id & 0xff); // undone by the revert if nothing settles
        uint32 tag = b.tag;
        Account storage u = accounts[t.user];
        uint256 vault = u.vault;
        uint256 fromAllowance;
        {
            uint256 vaultStart = u.snapTag == tag ? u.vaultSnap : vault;
            uint256 total = b.circulating == 0 ? 0 : b.usersShare * vaultStart / b.circulating;
            uint256 spent = u.spentTag == tag ? u.allowanceSpent : 0;
            uint256 left = total > spent ? total - spent : 0;
            fromAllowance = _min(_min(left, c), b.pool);
            if (fromAllowance != 0) {
                u.allowanceSpent = uint96(spent + fromAllowance);
                u.spentTag = tag;
                b.pool -= fromAllowance;
                b.allowanceSpent += fromAllowance;
            }
        }
        uint256 fromVault = _min(c - fromAllowance, vault);
        if (fromVault != 0) {
            if (u.snapTag != tag) {
                u.vaultSnap = uint96(vault);
                u.snapTag = tag;
            }
            u.vault = uint96(vault - fromVault);
        }
        uint256 fromStake = _min(c - fromAllowance - fromVault, b.routerStake);
        if (fromStake != 0) {
            b.routerStake -= fromStake;
            b.routerChanged = true;
        }
        uint256 paid = fromAllowance + fromVault + fromStake;
        uint256 fee = paid * b.fee / 10000;
        if (b.builder != b.owner) {
            _flushBuilder(b);
            b.builder = b.owner;
        }
        b.builderCredit += fee;
        if (b.kind == 1) {
            b.builderAgent += billed;
            b.agentSeconds += billed;
        } else {
            b.builderModel += billed;
            b.modelSeconds += billed;
        }
        if (b.provider != t.provider) {
            _flushProvider(b);
            b.provider = t.provider;
        }
        b.providerCredit += paid - fee;
        b.settled += 1;
        emit SessionSettled(
            t.sessionId,
            t.manifest,
            uint256(uint160(t.provider)) << 96 | uint256(t.issuedAt) << 32 | billed,
            fromAllowance << 128 | fromVault,
            fromStake << 128 | fee
        );
    }

    function _flushRouter(Batch memory b) private {
        if (b.routerChanged) {
            accounts[b.router].routerStake = uint96(b.routerStake);
            b.routerChanged = false;
        }
    }

    function _flushProvider(Batch memory b) private {
        if (b.providerCredit != 0) {
            Account storage a = accounts[b.provider];
            a.claimable = _u96(a.claimable + b.providerCredit);
            b.providerCredit = 0;
        }
    }

    function _flushBuilder(Batch memory b) private {
        if (b.builder == address(0)) return;
        Account storage a = accounts[b.builder];
        _realize(a);
        if (b.builderCredit != 0) a.claimable = _u96(a.claimable + b.builderCredit);
        if (b.builderModel != 0 || b.builderAgent != 0) {
            a.builderTag = b.tag;
            a.modelSeconds += uint64(b.builderModel);
            a.agentSeconds += uint64(b.builderAgent);
        }
        b.builderCredit = 0;
        b.builderModel = 0;
        b.builderAgent = 0;
    }
}
