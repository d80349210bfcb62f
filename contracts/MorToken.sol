// SPDX-License-Identifier: MIT
// MorToken: the devnet MOR, an ERC-20 with EIP-2612 permit (doc/contracts.md "MorToken").
//
// On a real chain the Compute Contract uses the existing MOR token instead; this one exists so
// tests and the devnet have a token whose supply the Compute Contract can grow (emissions) and
// whose holders need no separate `approve` before a signed deposit:
//  - `owner` (the deployer) may mint and, once, name the `operator` (the Compute Contract);
//  - the operator may mint (daily emissions, the devnet `mint` transaction) and move tokens with
//    transferFrom without an allowance. It does so only for a holder's EIP-712-signed ledger
//    transaction (Transfer, Deposit, RegisterProvider, StakeRouter), which is the same consent an
//    allowance would give;
//  - total supply is capped at 2^96 - 1 base units (79 billion MOR), so the Compute Contract can
//    keep every amount in 96 bits (MOR's real cap is 42 million).
pragma solidity ^0.8.24;

contract MorToken {
    string public constant name = "Morpheus (Lake Travis devnet)";
    string public constant symbol = "MOR";
    uint8 public constant decimals = 18;
    uint256 public constant MAX_SUPPLY = type(uint96).max;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => uint256) public nonces;
    address public owner;
    address public operator;

    bytes32 private constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 private immutable cachedDomain;
    uint256 private immutable cachedChainId;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event OperatorSet(address indexed operator);

    error NotAllowed();
    error InsufficientBalance(uint256 have, uint256 need);
    error InsufficientAllowance(uint256 have, uint256 need);
    error SupplyCapExceeded(uint256 supply, uint256 amount);
    error PermitExpired(uint256 deadline);
    error InvalidPermitSignature();
    error ZeroAddress();

    constructor() {
        owner = msg.sender;
        cachedChainId = block.chainid;
        cachedDomain = _domain();
    }

    function _domain() private view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
    }

    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomain : _domain();
    }

    function setOperator(address op) external {
        if (msg.sender != owner || operator != address(0)) revert NotAllowed();
        if (op == address(0)) revert ZeroAddress();
        operator = op;
        emit OperatorSet(op);
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != owner && msg.sender != operator) revert NotAllowed();
        if (to == address(0)) revert ZeroAddress();
        uint256 supply = totalSupply;
        if (amount > MAX_SUPPLY - supply) revert SupplyCapExceeded(supply, amount);
        totalSupply = supply + amount;
        unchecked {
            balanceOf[to] += amount; // bounded by the supply cap
        }
        emit Transfer(address(0), to, amount);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external virtual returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external virtual returns (bool) {
        if (msg.sender != operator) {
            uint256 allowed = allowance[from][msg.sender];
            if (allowed != type(uint256).max) {
                if (allowed < value) revert InsufficientAllowance(allowed, value);
                unchecked {
                    allowance[from][msg.sender] = allowed - value;
                }
            }
        }
        _move(from, to, value);
        return true;
    }

    function permit(address holder, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        if (block.timestamp > deadline) revert PermitExpired(deadline);
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, holder, spender, value, nonces[holder]++, deadline));
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", DOMAIN_SEPARATOR(), structHash));
        // Low s only (EIP-2), as everywhere in Lake Travis.
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) {
            revert InvalidPermitSignature();
        }
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0) || signer != holder) revert InvalidPermitSignature();
        allowance[holder][spender] = value;
        emit Approval(holder, spender, value);
    }

    function _move(address from, address to, uint256 value) internal {
        if (to == address(0)) revert ZeroAddress();
        uint256 have = balanceOf[from];
        if (have < value) revert InsufficientBalance(have, value);
        unchecked {
            balanceOf[from] = have - value;
            balanceOf[to] += value; // bounded by the supply cap
        }
        emit Transfer(from, to, value);
    }
}
