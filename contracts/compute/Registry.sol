// SPDX-License-Identifier: MIT
// Registry: namespaces, models, tags, providers with their offers and stakes, and routers with
// their endpoints (doc/ledger.md "Transactions"; DESIGN §4). Each rule below is the embedded
// ledger's (src/ledger/rules.cc), checked in the same order so the same error comes first.
pragma solidity ^0.8.24;

import {LedgerCore} from "./LedgerCore.sol";
import {Names} from "./Names.sol";
import {Balance} from "./Types.sol";

abstract contract Registry is LedgerCore {
    struct Model {
        address owner; // the namespace owner, paid as builder
        uint8 kind; // 0 model, 1 agent
        uint16 builderFeeBps;
        bool exists;
        uint32 index; // 1 + position in modelNames
    }

    struct Provider {
        uint96 stake;
        uint32 index; // 1 + position in providerList (0: not registered)
        string endpoint;
    }

    struct OfferRow {
        uint256 pricePerSecond;
        uint32 minSeconds;
        uint32 tps;
        uint32 slots;
        uint64 nonce;
        uint32 index; // 1 + position in offerList[provider]
    }

    mapping(bytes32 => address) internal namespaces; // keccak(namespace) -> owner
    mapping(bytes32 => Model) internal models; // keccak(name) -> model
    mapping(bytes32 => bytes32) internal manifestModel; // manifest -> keccak(name)
    mapping(bytes32 => bytes32) internal tagManifest; // keccak(name ":" tag) -> manifest
    string[] internal modelNames;
    mapping(bytes32 => string[]) internal modelTags; // keccak(name) -> tags ever set
    mapping(address => Provider) internal providers;
    address[] internal providerList;
    mapping(address => mapping(bytes32 => OfferRow)) internal offers;
    mapping(address => bytes32[]) internal offerList;
    mapping(address => string) internal routerEndpoints;
    address[] internal routerList;

    bytes32 private constant KIND_MODEL = keccak256("model");
    bytes32 private constant KIND_AGENT = keccak256("agent");
    bytes32 private constant ROLE_ROUTER = keccak256("router");
    bytes32 private constant ROLE_PROVIDER = keccak256("provider");

    function _registerModel(address owner, string calldata name, string calldata kind, uint32 feeBps) internal {
        if (!Names.validModelName(bytes(name))) revert InvalidModelName(name);
        bytes32 kh = keccak256(bytes(kind));
        if (kh != KIND_MODEL && kh != KIND_AGENT) revert InvalidKind(kind);
        if (feeBps > maxBuilderFeeBps) revert BuilderFeeTooHigh(feeBps, uint32(maxBuilderFeeBps));
        bytes calldata ns = Names.namespaceOf(bytes(name));
        bytes32 nsKey = keccak256(ns);
        address nsOwner = namespaces[nsKey];
        if (nsOwner != address(0) && nsOwner != owner) revert NamespaceOwned(string(ns), nsOwner);
        if (nsOwner == address(0)) namespaces[nsKey] = owner;
        bytes32 id = keccak256(bytes(name));
        uint32 index = models[id].index;
        bool created = index == 0;
        if (created) {
            modelNames.push(name);
            index = uint32(modelNames.length);
        }
        uint8 k = kh == KIND_AGENT ? 1 : 0;
        models[id] = Model(owner, k, uint16(feeBps), true, index);
        emit ModelRegistered(owner, name, k, uint16(feeBps), created);
    }

    function _setTag(address owner, string calldata name, string calldata tag, bytes32 manifest) internal {
        if (!Names.validModelName(bytes(name))) revert InvalidModelName(name);
        if (!Names.validTag(bytes(tag))) revert InvalidTag(tag);
        bytes32 id = keccak256(bytes(name));
        Model memory m = models[id];
        if (!m.exists) revert ModelNotFound(name);
        if (m.owner != owner) revert NotModelOwner(name, m.owner);
        if (manifest == bytes32(0)) revert ZeroManifest();
        bytes32 bound = manifestModel[manifest];
        if (bound != bytes32(0) && bound != id) revert ManifestTaken(manifest, _nameOf(bound));
        if (bound == bytes32(0)) manifestModel[manifest] = id;
        bytes32 tagKey = keccak256(abi.encodePacked(name, ":", tag));
        if (tagManifest[tagKey] == bytes32(0)) modelTags[id].push(tag);
        tagManifest[tagKey] = manifest;
        emit TagSet(owner, name, tag, manifest);
    }

    // The registered name whose keccak is `id` ("" when none).
    function _nameOf(bytes32 id) internal view returns (string memory) {
        uint32 index = models[id].index;
        return index == 0 ? "" : modelNames[index - 1];
    }

    function _registerProvider(address who, string calldata endpoint, uint256 amount) internal {
        if (!Names.validEndpoint(bytes(endpoint))) revert InvalidEndpoint();
        _requireWallet(who, amount);
        Provider storage p = providers[who];
        uint256 stake = p.stake + amount;
        if (stake < minProviderStake) revert ProviderStakeBelowMinimum(stake, minProviderStake);
        p.stake = _u96(stake);
        p.endpoint = endpoint;
        if (p.index == 0) {
            providerList.push(who);
            p.index = uint32(providerList.length);
        }
        emit ProviderRegistered(who, endpoint, stake);
        if (amount != 0) _pull(who, address(this), amount);
    }

    function _setOffer(
        address who,
        bytes32 manifest,
        uint256 price,
        uint32 minSeconds,
        uint32 tps,
        uint32 slots,
        uint64 nonce
    ) internal {
        if (providers[who].index == 0) revert NotProvider(who);
        if (manifestModel[manifest] == bytes32(0)) revert ManifestNotRegistered(manifest);
        OfferRow storage o = offers[who][manifest];
        if (slots == 0) {
            if (o.index == 0) revert NoOfferToWithdraw(manifest);
            _dropOffer(who, manifest);
        } else {
            if (price == 0) revert ZeroPrice();
            if (minSeconds > maxMinSeconds) revert MinSecondsAboveCap(minSeconds, uint32(maxMinSeconds));
            if (o.index == 0) {
                offerList[who].push(manifest);
                o.index = uint32(offerList[who].length);
            }
            o.pricePerSecond = price;
            o.minSeconds = minSeconds;
            o.tps = tps;
            o.slots = slots;
            o.nonce = nonce;
        }
        emit OfferSet(who, manifest, price, minSeconds, tps, slots, nonce);
    }

    function _dropOffer(address who, bytes32 manifest) private {
        bytes32[] storage list = offerList[who];
        uint256 i = offers[who][manifest].index - 1;
        bytes32 last = list[list.length - 1];
        list[i] = last;
        offers[who][last].index = uint32(i + 1);
        list.pop();
        delete offers[who][manifest];
    }

    function _stakeRouter(address who, uint256 amount) internal {
        _positive(amount);
        _requireWallet(who, amount);
        Account storage a = accounts[who];
        a.routerStake = _u96(a.routerStake + amount);
        emit RouterStaked(who, amount, a.routerStake);
        _pull(who, address(this), amount);
    }

    function _setRouterEndpoint(address who, string calldata endpoint) internal {
        if (!Names.validEndpoint(bytes(endpoint))) revert InvalidEndpoint();
        uint256 stake = accounts[who].routerStake;
        if (stake == 0 || stake < minRouterStake) revert RouterStakeBelowMinimum(stake, minRouterStake);
        if (bytes(routerEndpoints[who]).length == 0) routerList.push(who);
        routerEndpoints[who] = endpoint;
        emit RouterEndpointSet(who, endpoint);
    }

    function _unstake(address who, string calldata role, uint256 amount) internal {
        _positive(amount);
        bytes32 rh = keccak256(bytes(role));
        bool deregistered;
        uint8 r;
        if (rh == ROLE_ROUTER) {
            Account storage a = accounts[who];
            if (a.routerStake < amount) revert InsufficientFunds(Balance.ROUTER_STAKE, a.routerStake, amount);
            a.routerStake -= uint96(amount);
        } else if (rh == ROLE_PROVIDER) {
            r = 1;
            Provider storage p = providers[who];
            if (p.index == 0) revert NotProvider(who);
            if (p.stake < amount) revert InsufficientFunds(Balance.PROVIDER_STAKE, p.stake, amount);
            uint256 left = p.stake - amount;
            if (left == 0) {
                _deregister(who);
                deregistered = true;
            } else if (left < minProviderStake) {
                revert UnstakeAllOrKeepMinimum(minProviderStake);
            } else {
                p.stake = uint96(left);
            }
        } else {
            revert InvalidRole(role);
        }
        uint256 pend = _addPending(who, amount);
        emit Unstaked(who, r, amount, pend, _tag(), deregistered);
    }

    // A provider that unstakes everything leaves the list and loses its offers.
    function _deregister(address who) private {
        bytes32[] storage list = offerList[who];
        for (uint256 j = 0; j < list.length; ++j) delete offers[who][list[j]];
        delete offerList[who];
        uint256 i = providers[who].index - 1;
        address last = providerList[providerList.length - 1];
        providerList[i] = last;
        providers[last].index = uint32(i + 1);
        providerList.pop();
        delete providers[who];
    }
}
