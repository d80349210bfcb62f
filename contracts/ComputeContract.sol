// SPDX-License-Identifier: MIT
// ComputeContract: Lake Travis's Compute Contract on an EVM chain (DESIGN §3; doc/contracts.md;
// the rules are doc/ledger.md's, and the embedded ledger in src/ledger is their reference).
//
// Two ways in:
//  * Signed ledger transactions, relayed by anyone (the EvmLedger backend, a router, the user):
//    each takes the EIP-712 message's fields and the sender's signature under the domain
//    {LakeTravis, 1, chainid, address(this)}, and consumes the sender's ledger nonce exactly as
//    the embedded ledger does (same type strings, same rules, same order of checks).
//  * Direct calls where msg.sender is the actor: settleBatch (a router or provider settling with
//    its own Ethereum transaction: no SettleBatch signature to check), depositWithPermit (EIP-2612,
//    so a deposit from a wallet needs no separate approve), closeDays and release (anyone).
// Before any of them, every day that has ended is closed (lazily, O(1)). Every state-changing
// entry point refuses reentry (through the token or anything else). Outcomes are events; a
// refused transaction reverts with a custom error (src/evm decodes them into lt::Error).
// MOR is the ERC-20 `token` the contract holds: the wallet of doc/ledger.md is the holder's token
// balance (plus withdrawals that matured and were not yet paid out).
pragma solidity ^0.8.24;

import {Settlement} from "./compute/Settlement.sol";
import {Params, Sig, Receipt, Balance} from "./compute/Types.sol";
import {LedgerCore} from "./compute/LedgerCore.sol";
import {ComputeExtension} from "./compute/ComputeExtension.sol";

contract ComputeContract is Settlement {
    // Registry transactions, genesis and views (see ComputeExtension.sol): reached through fallback.
    address public immutable extension;

    constructor(Params memory p) LedgerCore(p, msg.sender, address(this)) {
        extension = address(new ComputeExtension(p, msg.sender, address(this)));
    }

    // Every selector this contract does not have runs ComputeExtension's code on this storage.
    fallback() external {
        address impl = extension;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ---- Signed ledger transactions (doc/ledger.md "Transactions") -------------------------------

    function transfer(address from, address to, uint256 amount, uint64 nonce, Sig calldata sig) external entry {
        _auth(from, nonce, keccak256(abi.encode(TRANSFER_TYPEHASH, from, to, amount, nonce)), sig);
        _positive(amount);
        _requireWallet(from, amount);
        emit Transferred(from, to, amount);
        _pull(from, to, amount);
    }

    function deposit(address owner, uint256 amount, uint64 nonce, Sig calldata sig) external entry {
        _auth(owner, nonce, keccak256(abi.encode(DEPOSIT_TYPEHASH, owner, amount, nonce)), sig);
        _positive(amount);
        _requireWallet(owner, amount);
        _deposit(owner, amount);
    }

    function withdraw(address owner, uint256 amount, uint64 nonce, Sig calldata sig) external entry {
        _auth(owner, nonce, keccak256(abi.encode(WITHDRAW_TYPEHASH, owner, amount, nonce)), sig);
        _positive(amount);
        Account storage a = accounts[owner];
        uint256 vault = a.vault;
        if (vault < amount) revert InsufficientFunds(Balance.VAULT, vault, amount);
        _setVault(a, vault - amount, _tag());
        uint256 pend = _addPending(owner, amount);
        emit Withdrawn(owner, amount, vault - amount, pend, _tag());
    }





    function stakeRouter(address router, uint256 amount, uint64 nonce, Sig calldata sig) external entry {
        _auth(router, nonce, keccak256(abi.encode(STAKE_ROUTER_TYPEHASH, router, amount, nonce)), sig);
        _stakeRouter(router, amount);
    }



    // settle_batch relayed: the sender signed SettleBatch(sender, receiptsHash, count, nonce) where
    // receiptsHash = keccak256 over the receipts of hashStruct(ticket) || ticket signature (65
    // bytes) || hashStruct(voucher) || voucher signature (65 bytes).
    function settleBatchSigned(
        address sender,
        bytes32 receiptsHash,
        uint32 count,
        uint64 nonce,
        Sig calldata sig,
        Receipt[] calldata receipts
    ) external entry {
        bytes32 h = keccak256(abi.encode(SETTLE_BATCH_TYPEHASH, sender, receiptsHash, count, nonce));
        address signer = _recover(_digest(h), sig);
        if (signer == address(0) || signer != sender) revert BadSignature(signer, sender);
        if (count != receipts.length) revert CountMismatch(count, receipts.length);
        (bytes32[] memory hashes, bytes32 computed) = _receiptsHash(receipts);
        if (computed != receiptsHash) revert ReceiptsHashMismatch(receiptsHash, computed);
        _useNonce(sender, nonce);
        _settle(sender, receipts, hashes);
    }

    function claim(address owner, uint64 nonce, Sig calldata sig) external entry {
        _auth(owner, nonce, keccak256(abi.encode(CLAIM_TYPEHASH, owner, nonce)), sig);
        _claim(owner);
    }

    function closeDay(address sender, uint64 day, uint64 nonce, Sig calldata sig) external entry {
        _auth(sender, nonce, keccak256(abi.encode(CLOSE_DAY_TYPEHASH, sender, day, nonce)), sig);
        uint256 current = _currentDay();
        if (day >= current) revert DayNotEnded(day, uint64(current));
        emit CloseDayChecked(sender, day, globals.openDay); // closing already happened (entry)
    }

    function mint(address minter_, address to, uint256 amount, uint64 nonce, Sig calldata sig) external entry {
        _auth(minter_, nonce, keccak256(abi.encode(MINT_TYPEHASH, minter_, to, amount, nonce)), sig);
        if (minter == address(0) || minter_ != minter) revert NotMinter(minter_);
        _positive(amount);
        uint256 supply = token.totalSupply();
        if (amount > type(uint96).max - supply) revert SupplyOverflow(amount);
        emit Minted(to, amount);
        _mint(to, amount);
    }

    // ---- Direct calls (msg.sender is the actor) --------------------------------------------------

    // settle_batch sent by the router (or a ticket's provider) itself.
    function settleBatch(Receipt[] calldata receipts) external entry {
        stats.txs += 1;
        _settle(msg.sender, receipts, new bytes32[](0));
    }

    // A deposit from the sender's wallet with an EIP-2612 permit instead of a prior approve.
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external entry {
        _positive(amount);
        stats.txs += 1;
        _release(msg.sender);
        token.permit(msg.sender, address(this), amount, deadline, v, r, s);
        _deposit(msg.sender, amount);
    }

    // Closes the days that have ended (anyone; idempotent). Returns how many closed.
    function closeDays() external returns (uint256 closed) {
        if (locked) revert Reentrancy();
        locked = true;
        if (!globals.live) revert NotLive();
        closed = _advance();
        locked = false;
    }

    // Pays `owner`'s matured withdrawals and credits of closed days where they belong (anyone).
    function release(address owner) external entry {
        _realize(accounts[owner]);
        _release(owner);
    }

    // ---- Shared bodies ---------------------------------------------------------------------------

    function _deposit(address owner, uint256 amount) private {
        Account storage a = accounts[owner];
        uint256 vault = a.vault + amount;
        _setVault(a, vault, _tag());
        emit Deposited(owner, amount, vault);
        _pull(owner, address(this), amount);
    }

    function _claim(address owner) private {
        Account storage a = accounts[owner];
        _realize(a);
        uint256 amount = a.claimable;
        if (amount == 0) revert NothingToClaim();
        a.claimable = 0;
        emit Claimed(owner, amount);
        _send(owner, amount);
    }

    function _receiptsHash(Receipt[] calldata rs) private pure returns (bytes32[] memory hashes, bytes32 h) {
        uint256 n = rs.length;
        hashes = new bytes32[](2 * n);
        bytes memory buf = new bytes(194 * n);
        for (uint256 i = 0; i < n; ++i) {
            Receipt calldata r = rs[i];
            bytes32 th = _hashTicket(r.ticket);
            bytes32 vh = _hashVoucher(r.voucher);
            hashes[2 * i] = th;
            hashes[2 * i + 1] = vh;
            (bytes32 tr, bytes32 ts, uint8 tv) = (r.ticketSig.r, r.ticketSig.s, r.ticketSig.v);
            (bytes32 vr, bytes32 vs, uint8 vv) = (r.voucherSig.r, r.voucherSig.s, r.voucherSig.v);
            assembly ("memory-safe") {
                let p := add(add(buf, 0x20), mul(i, 194))
                mstore(p, th)
                mstore(add(p, 32), tr)
                mstore(add(p, 64), ts)
                mstore8(add(p, 96), tv)
                mstore(add(p, 97), vh)
                mstore(add(p, 129), vr)
                mstore(add(p, 161), vs)
                mstore8(add(p, 193), vv)
            }
        }
        h = keccak256(buf);
    }
}
