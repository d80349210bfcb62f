// SPDX-License-Identifier: MIT
// ComputeExtension: the Compute Contract's registry transactions (models, tags, providers,
// offers, router endpoints, unstaking), its genesis and its views. ComputeContract creates it in
// its constructor and delegatecalls it from its fallback for every selector it does not have
// itself, so this code runs on ComputeContract's storage, with its address, its reentrancy lock
// and its immutables (both are constructed with the same Params). It exists only because one
// contract's code may not exceed 24,576 bytes (EIP-170); it is not an upgrade mechanism: the
// address is immutable. Called directly, it acts on its own empty storage (not live): harmless.
pragma solidity ^0.8.24;

import {LedgerCore} from "./LedgerCore.sol";
import {Registry} from "./Registry.sol";
import {ComputeViews} from "./Views.sol";
import {Params, Sig} from "./Types.sol";

contract ComputeExtension is Registry, ComputeViews {
    constructor(Params memory p, address deployer_, address computeContract)
        LedgerCore(p, deployer_, computeContract)
    {}

    // ---- Genesis (the deployer, once; then the contract is live) ---------------------------------

    // Allocations of doc/ledger.md's genesis: wallets are minted to the address, vaults to the
    // contract. May be called several times (chunks) before genesisSeal.
    function genesisAllocate(address[] calldata who, uint256[] calldata wallets, uint256[] calldata vaults) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (globals.live) revert AlreadyLive();
        if (who.length != wallets.length || who.length != vaults.length) revert InvalidParams("lengths");
        uint256 vaultTotal;
        for (uint256 i = 0; i < who.length; ++i) {
            if (wallets[i] != 0) _mint(who[i], wallets[i]);
            if (vaults[i] != 0) {
                Account storage a = accounts[who[i]];
                a.vault = _u96(a.vault + vaults[i]);
                vaultTotal += vaults[i];
            }
        }
        _fund(vaultTotal);
    }

    // The pools; opens the first day (B = budget_bps of the compute pool, circulating = supply
    // outside the pools).
    function genesisSeal(uint256 computePool, uint256 communityPool) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (globals.live) revert AlreadyLive();
        _fund(computePool + communityPool);
        globals = Globals(_u96(computePool), _u96(communityPool), uint32(firstDay), true);
        uint256 circulating = token.totalSupply() - computePool - communityPool;
        today = Today(_u96(_bps(computePool, budgetBps)), _u96(circulating));
        emit GenesisSealed(uint64(firstDay), computePool, communityPool, circulating);
    }

    // Brings genesis tokens into the contract: minted when it may mint, else from the deployer
    // (who approved them).
    function _fund(uint256 amount) private {
        if (amount == 0) return;
        if (mintable) {
            _mint(address(this), amount);
        } else {
            _pull(deployer, address(this), amount);
        }
    }

    function registerModel(
        address owner,
        string calldata name,
        string calldata kind,
        uint32 builderFeeBps,
        uint64 nonce,
        Sig calldata sig
    ) external entry {
        bytes32 h = keccak256(
            abi.encode(
                REGISTER_MODEL_TYPEHASH, owner, keccak256(bytes(name)), keccak256(bytes(kind)), builderFeeBps, nonce
            )
        );
        _auth(owner, nonce, h, sig);
        _registerModel(owner, name, kind, builderFeeBps);
    }

    function setTag(
        address owner,
        string calldata name,
        string calldata tag,
        bytes32 manifest,
        uint64 nonce,
        Sig calldata sig
    ) external entry {
        bytes32 h =
            keccak256(abi.encode(SET_TAG_TYPEHASH, owner, keccak256(bytes(name)), keccak256(bytes(tag)), manifest, nonce));
        _auth(owner, nonce, h, sig);
        _setTag(owner, name, tag, manifest);
    }

    function registerProvider(address provider, string calldata endpoint, uint256 stake, uint64 nonce, Sig calldata sig)
        external
        entry
    {
        bytes32 h = keccak256(abi.encode(REGISTER_PROVIDER_TYPEHASH, provider, keccak256(bytes(endpoint)), stake, nonce));
        _auth(provider, nonce, h, sig);
        _registerProvider(provider, endpoint, stake);
    }

    function setOffer(
        address provider,
        bytes32 manifest,
        uint256 pricePerSecond,
        uint32 minSeconds,
        uint32 tps,
        uint32 slots,
        uint64 nonce,
        Sig calldata sig
    ) external entry {
        bytes32 h =
            keccak256(abi.encode(OFFER_TYPEHASH, provider, manifest, pricePerSecond, minSeconds, tps, slots, nonce));
        _auth(provider, nonce, h, sig);
        _setOffer(provider, manifest, pricePerSecond, minSeconds, tps, slots, nonce);
    }

    function setRouterEndpoint(address router, string calldata endpoint, uint64 nonce, Sig calldata sig)
        external
        entry
    {
        bytes32 h = keccak256(abi.encode(ROUTER_ENDPOINT_TYPEHASH, router, keccak256(bytes(endpoint)), nonce));
        _auth(router, nonce, h, sig);
        _setRouterEndpoint(router, endpoint);
    }

    function unstake(address owner, string calldata role, uint256 amount, uint64 nonce, Sig calldata sig)
        external
        entry
    {
        bytes32 h = keccak256(abi.encode(UNSTAKE_TYPEHASH, owner, keccak256(bytes(role)), amount, nonce));
        _auth(owner, nonce, h, sig);
        _unstake(owner, role, amount);
    }
}
