// SPDX-License-Identifier: MIT
// LedgerCore: the Compute Contract's storage, parameters, token calls, authentication of signed
// ledger transactions, and the day machinery (lazy closing, emissions, lazily paid builders'
// shares, vault snapshots, pending withdrawals). doc/contracts.md describes the storage layout
// and why each slot is packed the way it is; doc/ledger.md the rules.
//
// Every amount is kept in 96 bits: all of them are bounded by the token's supply, which MorToken
// caps at 2^96 - 1 (a larger value reverts with AmountTooLarge instead of wrapping).
pragma solidity ^0.8.24;

import {Eip712} from "./Eip712.sol";
import {Params, Sig, IComputeEvents, IComputeErrors, Balance} from "./Types.sol";

interface IMorToken {
    function balanceOf(address who) external view returns (uint256);
    function totalSupply() external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function mint(address to, uint256 amount) external;
    function permit(address holder, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;
}

abstract contract LedgerCore is Eip712, IComputeEvents, IComputeErrors {
    // ---- Storage (doc/contracts.md "Storage layout") --------------------------------------------

    // Four slots per address. Slot 0 is all a settlement touches for a user paying from the
    // allowance; the day tags are day + 1 (0 = never), as in src/ledger/state.h.
    struct Account {
        // slot 0
        uint96 vault;
        uint96 allowanceSpent; // on day spentTag - 1
        uint32 spentTag;
        uint32 snapTag; // vaultSnap is the vault at the start of day snapTag - 1
        // slot 1
        uint96 vaultSnap;
        uint96 routerStake;
        uint64 nonce; // the next ledger nonce this address must sign
        // slot 2
        uint96 claimable; // realized credits (see builderTag for those not yet realized)
        uint96 pending; // withdrawals and unstakes, paid to the wallet from day pendingDay on
        uint32 pendingDay;
        uint32 builderTag; // modelSeconds/agentSeconds are of day builderTag - 1
        // slot 3
        uint64 modelSeconds;
        uint64 agentSeconds;
    }

    struct Globals {
        uint96 computePool;
        uint96 communityPool;
        uint32 openDay;
        bool live; // genesis sealed
    }

    // The open day's budget and spending (one slot each; a settlement batch writes `spend` once).
    struct Today {
        uint96 budget; // B(d)
        uint96 circulating; // circulating(d)
    }

    struct Spend {
        uint96 allowanceSpent;
        uint56 modelSeconds;
        uint56 agentSeconds;
        uint48 sessions;
    }

    struct Stats {
        uint64 txs;
        uint64 sessionsSettled;
        uint64 receiptsRefused;
        uint64 settleBatches;
    }

    // Per-second rates of a closed day's builders' and agents' shares (only days with sessions).
    struct Rates {
        uint96 modelRate;
        uint96 agentRate;
    }

    mapping(address => Account) internal accounts;
    Globals internal globals;
    Today internal today;
    Spend internal spend;
    Stats internal stats;
    // Builders' and agents' shares taken from the pools at day close and not yet credited to a
    // builder's claimable (credited at the builder's next settlement, claim or release()).
    uint96 internal builderEscrow;
    mapping(uint256 => Rates) internal rates;
    // Replay protection: bit (id & 255) of word (id >> 8) is set once session id `id` settled.
    // Session ids that differ only in their last byte share a word (doc/contracts.md "Replay").
    mapping(uint256 => uint256) internal settledBits;

    // ---- Parameters (immutable: read from code, no storage) ---------------------------------------
    IMorToken internal immutable token;
    address internal immutable minter;
    address internal immutable deployer;
    bool internal immutable mintable;
    uint256 internal immutable daySeconds;
    uint256 internal immutable firstDay;
    uint256 internal immutable computeInitial;
    uint256 internal immutable computeDecrease;
    uint256 internal immutable communityInitial;
    uint256 internal immutable communityDecrease;
    uint256 internal immutable betaBps;
    uint256 internal immutable budgetBps;
    uint256 internal immutable maxBuilderFeeBps;
    uint256 internal immutable agentShareBps;
    uint256 internal immutable minProviderStake;
    uint256 internal immutable minRouterStake;
    uint256 internal immutable maxMinSeconds;

    bool internal transient locked;

    // deployer_: who may send the genesis calls (the account that deploys ComputeContract);
    // verifying_: the ComputeContract's address (the EIP-712 verifyingContract).
    constructor(Params memory p, address deployer_, address verifying_) Eip712(verifying_) {
        if (p.token == address(0)) revert InvalidParams("token");
        if (p.daySeconds == 0) revert InvalidParams("daySeconds");
        if (p.betaBps > 10000 || p.budgetBps > 10000 || p.maxBuilderFeeBps > 10000 || p.agentShareBps > 10000) {
            revert InvalidParams("bps above 10000");
        }
        if (!p.mintable && (p.computeInitial != 0 || p.communityInitial != 0)) {
            revert InvalidParams("emissions need a token the contract may mint");
        }
        token = IMorToken(p.token);
        minter = p.minter;
        deployer = deployer_;
        mintable = p.mintable;
        daySeconds = p.daySeconds;
        firstDay = p.startTime / p.daySeconds;
        computeInitial = p.computeInitial;
        computeDecrease = p.computeDecrease;
        communityInitial = p.communityInitial;
        communityDecrease = p.communityDecrease;
        betaBps = p.betaBps;
        budgetBps = p.budgetBps;
        maxBuilderFeeBps = p.maxBuilderFeeBps;
        agentShareBps = p.agentShareBps;
        minProviderStake = p.minProviderStake;
        minRouterStake = p.minRouterStake;
        maxMinSeconds = p.maxMinSeconds;
    }

    // Every state-changing entry point: no reentry (through the token or otherwise), live, and
    // the days that ended closed first (as the embedded ledger does before applying a tx).
    modifier entry() {
        if (locked) revert Reentrancy();
        locked = true;
        if (!globals.live) revert NotLive();
        _advance();
        _;
        locked = false;
    }

    // ---- Small arithmetic ----------------------------------------------------------------------
    function _u96(uint256 x) internal pure returns (uint96) {
        if (x > type(uint96).max) revert AmountTooLarge(x);
        return uint96(x);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _bps(uint256 x, uint256 bps) internal pure returns (uint256) {
        return x * bps / 10000;
    }

    function _positive(uint256 amount) internal pure {
        if (amount == 0) revert ZeroAmount();
    }

    // ---- Token calls (a token that returns nothing is accepted, one that returns false is not) ----
    function _tokenCall(bytes memory data) private {
        (bool ok, bytes memory ret) = address(token).call(data);
        if (!ok || (ret.length != 0 && (ret.length < 32 || abi.decode(ret, (uint256)) == 0))) {
            revert TokenCallFailed(address(token), ret);
        }
    }

    function _send(address to, uint256 amount) internal {
        _tokenCall(abi.encodeCall(IMorToken.transfer, (to, amount)));
    }

    function _pull(address from, address to, uint256 amount) internal {
        _tokenCall(abi.encodeCall(IMorToken.transferFrom, (from, to, amount)));
    }

    function _mint(address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!mintable) revert NotMintable();
        _tokenCall(abi.encodeCall(IMorToken.mint, (to, amount)));
    }

    // ---- Signed transactions ---------------------------------------------------------------------
    // Checks that `sender` signed structHash under our domain and that `nonce` is its next nonce,
    // then consumes the nonce (a revert later undoes that, as the embedded ledger's rollback does).
    function _auth(address sender, uint64 nonce, bytes32 structHash, Sig calldata sig) internal {
        address signer = _recover(_digest(structHash), sig);
        if (signer == address(0) || signer != sender) revert BadSignature(signer, sender);
        _useNonce(sender, nonce);
    }

    function _useNonce(address sender, uint64 nonce) internal {
        Account storage a = accounts[sender];
        uint64 next = a.nonce;
        if (nonce < next) revert StaleNonce(nonce, next);
        if (nonce > next) revert FutureNonce(nonce, next);
        a.nonce = next + 1;
        stats.txs += 1;
    }

    // ---- Days ------------------------------------------------------------------------------------
    function _emission(uint256 initial, uint256 decrease, uint256 k) internal pure returns (uint256) {
        uint256 d = decrease * k;
        return d >= initial ? 0 : initial - d;
    }

    // Sum of E(k) = max(0, initial - k * decrease) over k in [a, b], in O(1).
    function _emissionSum(uint256 initial, uint256 decrease, uint256 a, uint256 b) internal pure returns (uint256) {
        if (b < a) return 0;
        uint256 e = b;
        if (decrease != 0) {
            uint256 last = initial / decrease; // E(k) > 0 needs k * decrease < initial
            if (last < a) return 0;
            if (last < e) e = last;
        }
        uint256 n = e - a + 1;
        return n * initial - decrease * ((a + e) * n / 2);
    }

    function _currentDay() internal view returns (uint256) {
        return block.timestamp / daySeconds;
    }

    // Closes every day before the current one: the open day in full (it may have activity), then
    // any idle days after it at once (no transaction happened in them, so only their emissions
    // change anything). O(1) however long the ledger was idle. Returns the days closed.
    function _advance() internal returns (uint256 closed) {
        Globals memory g = globals;
        uint256 target = _currentDay();
        if (target <= g.openDay) return 0;
        uint256 d = g.openDay;
        uint256 cp = g.computePool;
        uint256 mp = g.communityPool;
        uint256 minted;
        {
            // 1. Emissions of day d.
            uint256 k = d - firstDay;
            uint256 eC = _emission(computeInitial, computeDecrease, k);
            uint256 eM = _emission(communityInitial, communityDecrease, k);
            cp += eC;
            mp += eM;
            minted = eC + eM;
            // 2. Builders' share (beta of B(d)) and agents' share (of E_community(d)) at a per-second
            //    rate: each builder is credited rate x its seconds (lazily); the floor's dust stays
            //    in the pool.
            Spend memory s = spend;
            Today memory t = today;
            uint256 paidB;
            uint256 paidA;
            uint256 rateB;
            uint256 rateA;
            if (s.modelSeconds > 0) {
                rateB = _min(_bps(t.budget, betaBps), cp) / s.modelSeconds;
                paidB = rateB * s.modelSeconds;
                cp -= paidB;
            }
            if (s.agentSeconds > 0) {
                rateA = _min(_bps(eM, agentShareBps), mp) / s.agentSeconds;
                paidA = rateA * s.agentSeconds;
                mp -= paidA;
            }
            if (paidB + paidA > 0) {
                rates[d] = Rates(uint96(rateB), uint96(rateA));
                builderEscrow = _u96(builderEscrow + paidB + paidA);
            }
            emit DayClosed(
                uint64(d),
                t.budget,
                t.circulating,
                s.allowanceSpent,
                paidB,
                paidA,
                eC,
                eM,
                uint256(s.modelSeconds) + s.agentSeconds,
                s.sessions
            );
            // 3. Pending withdrawals of day d mature now (paid out lazily, see _release).
        }
        closed = 1;
        if (target > d + 1) {
            // Idle days d+1 .. target-1: emissions only.
            uint256 a = d + 1 - firstDay;
            uint256 b = target - 1 - firstDay;
            uint256 eC = _emissionSum(computeInitial, computeDecrease, a, b);
            uint256 eM = _emissionSum(communityInitial, communityDecrease, a, b);
            cp += eC;
            mp += eM;
            minted += eC + eM;
            emit IdleDaysClosed(uint64(d + 1), uint64(target - 1), eC, eM);
            closed = target - d;
        }
        _mint(address(this), minted);
        // 4. Open the current day with its budget and circulating supply.
        globals = Globals(_u96(cp), _u96(mp), uint32(target), true);
        uint256 supply = token.totalSupply();
        today = Today(_u96(_bps(cp, budgetBps)), _u96(supply - cp - mp));
        delete spend;
    }

    // ---- Accounts --------------------------------------------------------------------------------
    function _tag() internal view returns (uint32) {
        return globals.openDay + 1;
    }

    // The vault at the start of the open day (lazy snapshot).
    function _vaultAtDayStart(Account storage a, uint32 tag) internal view returns (uint256) {
        return a.snapTag == tag ? a.vaultSnap : a.vault;
    }

    function _setVault(Account storage a, uint256 v, uint32 tag) internal {
        if (a.snapTag != tag) {
            a.vaultSnap = a.vault;
            a.snapTag = tag;
        }
        a.vault = _u96(v);
    }

    function _usersShare(uint256 budget) internal view returns (uint256) {
        return budget - _bps(budget, betaBps);
    }

    // A(u, d): (B(d) - builders' share) x vault at the start of d / circulating(d), floor.
    function _allowanceTotal(Account storage a, uint32 tag) internal view returns (uint256) {
        Today memory t = today;
        if (t.circulating == 0) return 0;
        return _usersShare(t.budget) * _vaultAtDayStart(a, tag) / t.circulating;
    }

    function _allowanceLeft(Account storage a, uint32 tag) internal view returns (uint256) {
        uint256 total = _allowanceTotal(a, tag);
        if (a.spentTag != tag) return total;
        return total > a.allowanceSpent ? total - a.allowanceSpent : 0;
    }

    // Credits of days closed since the builder's last settlement (rate x its seconds of that day).
    function _unrealized(Account storage a) internal view returns (uint256) {
        uint32 bt = a.builderTag;
        if (bt == 0 || bt - 1 >= globals.openDay) return 0;
        Rates memory r = rates[bt - 1];
        return uint256(r.modelRate) * a.modelSeconds + uint256(r.agentRate) * a.agentSeconds;
    }

    // Moves a builder's credits of closed days from the escrow to its claimable.
    function _realize(Account storage a) internal {
        uint256 owed = _unrealized(a);
        if (a.builderTag != 0 && a.builderTag != _tag()) {
            a.builderTag = 0;
            a.modelSeconds = 0;
            a.agentSeconds = 0;
        }
        if (owed != 0) {
            builderEscrow -= uint96(owed);
            a.claimable = _u96(a.claimable + owed);
        }
    }

    function _maturedPending(Account storage a) internal view returns (uint256) {
        return a.pending != 0 && a.pendingDay <= globals.openDay ? a.pending : 0;
    }

    // Pays matured pending withdrawals to the wallet.
    function _release(address who) internal {
        Account storage a = accounts[who];
        uint256 amount = _maturedPending(a);
        if (amount == 0) return;
        a.pending = 0;
        a.pendingDay = 0;
        emit Released(who, amount);
        _send(who, amount);
    }

    // Adds to pending withdrawals, available when the open day has closed. Returns the total.
    function _addPending(address who, uint256 amount) internal returns (uint256) {
        _release(who);
        Account storage a = accounts[who];
        a.pending = _u96(a.pending + amount);
        a.pendingDay = _tag();
        return a.pending;
    }

    // The wallet as the embedded ledger counts it: token balance plus matured pending withdrawals.
    function _wallet(address who) internal view returns (uint256) {
        return token.balanceOf(who) + _maturedPending(accounts[who]);
    }

    function _requireWallet(address who, uint256 amount) internal {
        uint256 have = _wallet(who);
        if (have < amount) revert InsufficientFunds(Balance.WALLET, have, amount);
        _release(who);
    }
}
