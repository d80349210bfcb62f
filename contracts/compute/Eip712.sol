// SPDX-License-Identifier: MIT
// EIP-712 for the Compute Contract: the domain {LakeTravis, 1, chainid, address(this)}, the type
// hashes of every ledger transaction (doc/ledger.md) and of DESIGN §2's Ticket and Voucher, and
// recovery that refuses high-s signatures. The same typed data the network signs off-chain
// (src/ledger/tx.cc, src/wire/messages.h) verifies here.
pragma solidity ^0.8.24;

import {Sig, Ticket, Voucher} from "./Types.sol";

abstract contract Eip712 {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant TICKET_TYPEHASH = keccak256(
        "Ticket(bytes32 sessionId,address user,address provider,address router,bytes32 manifest,uint256 pricePerSecond,uint32 minSeconds,uint32 maxSeconds,uint64 issuedAt,uint64 expiresAt)"
    );
    bytes32 internal constant VOUCHER_TYPEHASH =
        keccak256("Voucher(bytes32 sessionId,uint32 seconds,uint32 tokensOut,uint32 ttftMs,bool final)");

    bytes32 internal constant TRANSFER_TYPEHASH =
        keccak256("Transfer(address from,address to,uint256 amount,uint64 nonce)");
    bytes32 internal constant DEPOSIT_TYPEHASH = keccak256("Deposit(address owner,uint256 amount,uint64 nonce)");
    bytes32 internal constant WITHDRAW_TYPEHASH = keccak256("Withdraw(address owner,uint256 amount,uint64 nonce)");
    bytes32 internal constant REGISTER_MODEL_TYPEHASH =
        keccak256("RegisterModel(address owner,string name,string kind,uint32 builderFeeBps,uint64 nonce)");
    bytes32 internal constant SET_TAG_TYPEHASH =
        keccak256("SetTag(address owner,string name,string tag,bytes32 manifest,uint64 nonce)");
    bytes32 internal constant REGISTER_PROVIDER_TYPEHASH =
        keccak256("RegisterProvider(address provider,string endpoint,uint256 stake,uint64 nonce)");
    bytes32 internal constant OFFER_TYPEHASH = keccak256(
        "Offer(address provider,bytes32 manifest,uint256 pricePerSecond,uint32 minSeconds,uint32 tps,uint32 slots,uint64 nonce)"
    );
    bytes32 internal constant STAKE_ROUTER_TYPEHASH =
        keccak256("StakeRouter(address router,uint256 amount,uint64 nonce)");
    bytes32 internal constant ROUTER_ENDPOINT_TYPEHASH =
        keccak256("RouterEndpoint(address router,string endpoint,uint64 nonce)");
    bytes32 internal constant UNSTAKE_TYPEHASH =
        keccak256("Unstake(address owner,string role,uint256 amount,uint64 nonce)");
    bytes32 internal constant SETTLE_BATCH_TYPEHASH =
        keccak256("SettleBatch(address sender,bytes32 receiptsHash,uint32 count,uint64 nonce)");
    bytes32 internal constant CLAIM_TYPEHASH = keccak256("Claim(address owner,uint64 nonce)");
    bytes32 internal constant CLOSE_DAY_TYPEHASH = keccak256("CloseDay(address sender,uint64 day,uint64 nonce)");
    bytes32 internal constant MINT_TYPEHASH = keccak256("Mint(address minter,address to,uint256 amount,uint64 nonce)");

    // secp256k1n / 2: a larger s is the malleable twin of a low-s signature (EIP-2).
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 private immutable cachedDomain;
    uint256 private immutable cachedChainId;
    address private immutable cachedThis;

    // `verifying`: the address the domain names, the ComputeContract itself (ComputeExtension's
    // code runs with that address through delegatecall, so it is given the same one).
    constructor(address verifying) {
        cachedChainId = block.chainid;
        cachedThis = verifying;
        cachedDomain = _buildDomain(verifying);
    }

    function _buildDomain(address verifying) private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("LakeTravis"), keccak256("1"), block.chainid, verifying));
    }

    function domainSeparator() public view returns (bytes32) {
        if (block.chainid == cachedChainId && address(this) == cachedThis) return cachedDomain;
        return _buildDomain(address(this));
    }

    // keccak256(0x19 0x01 || domainSeparator || structHash)
    function _digest(bytes32 structHash) internal view returns (bytes32 d) {
        bytes32 sep = domainSeparator();
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(p, 2), sep)
            mstore(add(p, 34), structHash)
            d := keccak256(p, 66)
        }
    }

    // The signer of a digest, or address(0) when the signature is malformed or has a high s.
    function _recover(bytes32 digest, Sig calldata sig) internal pure returns (address) {
        uint8 v = sig.v;
        if (v < 27) v += 27;
        if ((v != 27 && v != 28) || uint256(sig.s) > HALF_N) return address(0);
        return ecrecover(digest, v, sig.r, sig.s);
    }

    // hashStruct(ticket): the calldata words are the EIP-712 encoding of its ten static fields.
    function _hashTicket(Ticket calldata t) internal pure returns (bytes32 h) {
        bytes32 th = TICKET_TYPEHASH;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, th)
            calldatacopy(add(p, 0x20), t, 0x140)
            h := keccak256(p, 0x160)
        }
    }

    function _hashVoucher(Voucher calldata v) internal pure returns (bytes32 h) {
        bytes32 th = VOUCHER_TYPEHASH;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, th)
            calldatacopy(add(p, 0x20), v, 0xa0)
            h := keccak256(p, 0xc0)
        }
    }
}
