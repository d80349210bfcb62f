// SPDX-License-Identifier: MIT
// ComputeViews: what the Compute Contract shows (eth_call), in the shapes of the embedded ledger's
// HTTP views (doc/ledger.md "HTTP API"): an account, the open day, statistics, models with their
// tags, providers with their offers, staked routers with their endpoints. Lists are paged
// (offset, limit) so a call stays bounded however large the registry grows.
pragma solidity ^0.8.24;

import {Registry} from "./Registry.sol";

abstract contract ComputeViews is Registry {
    struct AccountView {
        uint256 wallet; // token balance + matured withdrawals not yet paid out
        uint256 vault;
        uint256 claimable; // realized + builders' credits of closed days
        uint256 pendingWithdrawal; // not yet matured
        uint64 pendingAvailableDay;
        uint256 allowanceTotal;
        uint256 allowanceLeft;
        uint256 routerStake;
        uint256 providerStake;
        uint64 nonce;
        uint64 day; // the open day these figures belong to
    }

    struct DayView {
        uint64 day;
        uint64 clockDay;
        uint64 daySeconds;
        uint256 budget;
        uint256 buildersShare;
        uint256 usersShare;
        uint256 allowanceSpent;
        uint256 circulating;
        uint256 sessionSeconds;
        uint256 sessions;
        uint256 computePool;
        uint256 communityPool;
        uint256 totalSupply;
        uint256 emissionCompute;
        uint256 emissionCommunity;
        uint256 builderEscrow;
        bool live;
    }

    struct StatsView {
        uint64 txs;
        uint64 sessionsSettled;
        uint64 receiptsRefused;
        uint64 settleBatches;
        uint256 models;
        uint256 providers;
        uint256 routers;
    }

    struct TagView {
        string tag;
        bytes32 manifest;
    }

    struct ModelView {
        string name;
        address owner;
        uint8 kind;
        uint16 builderFeeBps;
        TagView[] tags;
    }

    struct OfferView {
        bytes32 manifest;
        string model;
        uint256 pricePerSecond;
        uint32 minSeconds;
        uint32 tps;
        uint32 slots;
        uint64 nonce;
    }

    struct ProviderView {
        address provider;
        string endpoint;
        uint256 stake;
        OfferView[] offers;
    }

    struct RouterView {
        address router;
        string endpoint;
        uint256 stake;
    }

    struct ParamsView {
        address token;
        address minter;
        bool mintable;
        uint64 daySeconds;
        uint64 firstDay;
        uint256 computeInitial;
        uint256 computeDecrease;
        uint256 communityInitial;
        uint256 communityDecrease;
        uint16 betaBps;
        uint16 budgetBps;
        uint16 maxBuilderFeeBps;
        uint16 agentShareBps;
        uint256 minProviderStake;
        uint256 minRouterStake;
        uint32 maxMinSeconds;
    }

    function account(address who) external view returns (AccountView memory v) {
        Account storage a = accounts[who];
        uint32 tag = _tag();
        v.wallet = _wallet(who);
        v.vault = a.vault;
        v.claimable = a.claimable + _unrealized(a);
        if (_maturedPending(a) == 0 && a.pending != 0) {
            v.pendingWithdrawal = a.pending;
            v.pendingAvailableDay = a.pendingDay;
        }
        v.allowanceTotal = _allowanceTotal(a, tag);
        v.allowanceLeft = _allowanceLeft(a, tag);
        v.routerStake = a.routerStake;
        v.providerStake = providers[who].stake;
        v.nonce = a.nonce;
        v.day = globals.openDay;
    }

    function dayInfo() external view returns (DayView memory v) {
        Globals memory g = globals;
        Today memory t = today;
        Spend memory s = spend;
        uint256 k = g.openDay > firstDay ? g.openDay - firstDay : 0;
        v.day = g.openDay;
        v.clockDay = uint64(_currentDay());
        v.daySeconds = uint64(daySeconds);
        v.budget = t.budget;
        v.buildersShare = _bps(t.budget, betaBps);
        v.usersShare = t.budget - v.buildersShare;
        v.allowanceSpent = s.allowanceSpent;
        v.circulating = t.circulating;
        v.sessionSeconds = uint256(s.modelSeconds) + s.agentSeconds;
        v.sessions = s.sessions;
        v.computePool = g.computePool;
        v.communityPool = g.communityPool;
        v.totalSupply = token.totalSupply();
        v.emissionCompute = _emission(computeInitial, computeDecrease, k);
        v.emissionCommunity = _emission(communityInitial, communityDecrease, k);
        v.builderEscrow = builderEscrow;
        v.live = g.live;
    }

    function statsInfo() external view returns (StatsView memory v) {
        Stats memory s = stats;
        v.txs = s.txs;
        v.sessionsSettled = s.sessionsSettled;
        v.receiptsRefused = s.receiptsRefused;
        v.settleBatches = s.settleBatches;
        v.models = modelNames.length;
        v.providers = providerList.length;
        v.routers = routerList.length;
    }

    function params() external view returns (ParamsView memory) {
        return ParamsView(
            address(token),
            minter,
            mintable,
            uint64(daySeconds),
            uint64(firstDay),
            computeInitial,
            computeDecrease,
            communityInitial,
            communityDecrease,
            uint16(betaBps),
            uint16(budgetBps),
            uint16(maxBuilderFeeBps),
            uint16(agentShareBps),
            minProviderStake,
            minRouterStake,
            uint32(maxMinSeconds)
        );
    }

    function isSettled(bytes32 sessionId) external view returns (bool) {
        uint256 id = uint256(sessionId);
        return settledBits[id >> 8] & (1 << (id & 0xff)) != 0;
    }

    // The manifest `name:tag` points to (zero when none).
    function resolve(string calldata name, string calldata tag) external view returns (bytes32) {
        return tagManifest[keccak256(abi.encodePacked(name, ":", tag))];
    }

    function model(string calldata name) external view returns (ModelView memory) {
        bytes32 id = keccak256(bytes(name));
        if (!models[id].exists) revert ModelNotFound(name);
        return _modelView(name, id);
    }

    function modelsPage(uint256 offset, uint256 limit) external view returns (ModelView[] memory out) {
        uint256 n = _pageSize(modelNames.length, offset, limit);
        out = new ModelView[](n);
        for (uint256 i = 0; i < n; ++i) {
            string memory name = modelNames[offset + i];
            out[i] = _modelView(name, keccak256(bytes(name)));
        }
    }

    function providersPage(uint256 offset, uint256 limit) external view returns (ProviderView[] memory out) {
        uint256 n = _pageSize(providerList.length, offset, limit);
        out = new ProviderView[](n);
        for (uint256 i = 0; i < n; ++i) {
            address who = providerList[offset + i];
            Provider storage p = providers[who];
            bytes32[] storage list = offerList[who];
            OfferView[] memory os = new OfferView[](list.length);
            for (uint256 j = 0; j < list.length; ++j) {
                OfferRow storage o = offers[who][list[j]];
                os[j] = OfferView(
                    list[j], _nameOf(manifestModel[list[j]]), o.pricePerSecond, o.minSeconds, o.tps, o.slots, o.nonce
                );
            }
            out[i] = ProviderView(who, p.endpoint, p.stake, os);
        }
    }

    function routersPage(uint256 offset, uint256 limit) external view returns (RouterView[] memory out) {
        uint256 n = _pageSize(routerList.length, offset, limit);
        out = new RouterView[](n);
        for (uint256 i = 0; i < n; ++i) {
            address who = routerList[offset + i];
            out[i] = RouterView(who, routerEndpoints[who], accounts[who].routerStake);
        }
    }

    function _pageSize(uint256 total, uint256 offset, uint256 limit) private pure returns (uint256) {
        if (offset >= total) return 0;
        uint256 n = total - offset;
        return n < limit ? n : limit;
    }

    function _modelView(string memory name, bytes32 id) private view returns (ModelView memory v) {
        Model memory m = models[id];
        string[] storage tags = modelTags[id];
        v.name = name;
        v.owner = m.owner;
        v.kind = m.kind;
        v.builderFeeBps = m.builderFeeBps;
        v.tags = new TagView[](tags.length);
        for (uint256 i = 0; i < tags.length; ++i) {
            v.tags[i] = TagView(tags[i], tagManifest[keccak256(abi.encodePacked(name, ":", tags[i]))]);
        }
    }
}
