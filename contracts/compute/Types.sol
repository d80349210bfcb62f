// SPDX-License-Identifier: MIT
// The Compute Contract's calldata types, events and custom errors (doc/contracts.md).
// Struct layouts are part of the ABI the C++ client (src/evm/compute_client.cc) encodes: never
// reorder fields. Outcome codes reach events and errors: never renumber them.
pragma solidity ^0.8.24;

// A 65-byte secp256k1 signature as Lake Travis makes them (r, s, v with v 27/28; 0/1 are read too).
struct Sig {
    bytes32 r;
    bytes32 s;
    uint8 v;
}

// DESIGN §2's Ticket and Voucher, field for field (the EIP-712 type strings are in Eip712.sol).
struct Ticket {
    bytes32 sessionId;
    address user;
    address provider;
    address router;
    bytes32 manifest;
    uint256 pricePerSecond;
    uint32 minSeconds;
    uint32 maxSeconds;
    uint64 issuedAt;
    uint64 expiresAt;
}

struct Voucher {
    bytes32 sessionId;
    uint32 seconds_; // EIP-712 field "seconds"
    uint32 tokensOut;
    uint32 ttftMs;
    bool final_; // EIP-712 field "final"
}

// One settled session as a router (or the ticket's provider) submits it.
struct Receipt {
    Ticket ticket;
    Sig ticketSig; // by ticket.router
    Voucher voucher;
    Sig voucherSig; // by ticket.user
}

// Deployment parameters: the genesis of doc/ledger.md minus allocations and pools (which
// genesisAllocate and genesisSeal mint). Amounts in base units; every one fits in 96 bits.
struct Params {
    address token;
    address minter; // devnet only: may send `mint` (zero: nobody)
    bool mintable; // the contract may mint the token (emissions, genesis); else emissions must be 0
    uint64 daySeconds;
    uint64 startTime;
    uint96 computeInitial;
    uint96 computeDecrease;
    uint96 communityInitial;
    uint96 communityDecrease;
    uint16 betaBps;
    uint16 budgetBps;
    uint16 maxBuilderFeeBps;
    uint16 agentShareBps;
    uint96 minProviderStake;
    uint96 minRouterStake;
    uint32 maxMinSeconds; // the cap on an offer's and a ticket's minSeconds (genesis max_min_seconds)
}

// Why a receipt was refused (ReceiptRefused.reason, NoReceiptSettled.reasons). Never renumber.
library Refusal {
    uint8 internal constant VOUCHER_OTHER_SESSION = 1; // the voucher is for another session
    uint8 internal constant TICKET_NOT_BY_ROUTER = 2; // the ticket is not signed by its router
    uint8 internal constant VOUCHER_NOT_BY_USER = 3; // the voucher is not signed by the ticket's user
    uint8 internal constant SENDER_NOT_ROUTER_OR_PROVIDER = 4;
    uint8 internal constant ALREADY_SETTLED = 5;
    uint8 internal constant ROUTER_NOT_STAKED = 6; // below min_router_stake (or none)
    uint8 internal constant MANIFEST_NOT_REGISTERED = 7;
    uint8 internal constant COST_OVERFLOW = 8; // pricePerSecond x seconds overflows uint256
    // 9 (the manifest's model is gone) cannot happen on chain: a model is never deleted.
    uint8 internal constant MIN_ABOVE_MAX = 10; // the ticket's minSeconds exceeds its maxSeconds
    uint8 internal constant MIN_ABOVE_CAP = 11; // the ticket's minSeconds exceeds maxMinSeconds
    uint8 internal constant SESSION_NOT_ROUTERS = 12; // the sessionId does not start with the ticket's router
}

// Which balance an InsufficientFunds error is about. Never renumber.
library Balance {
    uint8 internal constant WALLET = 1;
    uint8 internal constant VAULT = 2;
    uint8 internal constant ROUTER_STAKE = 3;
    uint8 internal constant PROVIDER_STAKE = 4;
}

interface IComputeEvents {
    // Ledger transactions (one per applied transaction; the outcome of doc/ledger.md).
    event Transferred(address indexed from, address indexed to, uint256 amount);
    event Deposited(address indexed owner, uint256 amount, uint256 vault);
    event Withdrawn(address indexed owner, uint256 amount, uint256 vault, uint256 pending, uint64 availableDay);
    event ModelRegistered(address indexed owner, string name, uint8 kind, uint16 builderFeeBps, bool created);
    event TagSet(address indexed owner, string name, string tag, bytes32 indexed manifest);
    event ProviderRegistered(address indexed provider, string endpoint, uint256 stake);
    // slots == 0: the offer was withdrawn.
    event OfferSet(
        address indexed provider,
        bytes32 indexed manifest,
        uint256 pricePerSecond,
        uint32 minSeconds,
        uint32 tps,
        uint32 slots,
        uint64 nonce
    );
    event RouterStaked(address indexed router, uint256 amount, uint256 stake);
    event RouterEndpointSet(address indexed router, string endpoint);
    // role 0 router, 1 provider; deregistered: a provider unstaked everything (its offers are gone).
    event Unstaked(
        address indexed owner, uint8 role, uint256 amount, uint256 pending, uint64 availableDay, bool deregistered
    );
    event Claimed(address indexed owner, uint256 amount);
    event Minted(address indexed to, uint256 amount);
    event CloseDayChecked(address indexed sender, uint64 day, uint64 openDay);
    // Pending withdrawals paid out to the wallet (lazily, at the owner's next transaction or release()).
    event Released(address indexed owner, uint256 amount);

    // Settlement. record = provider << 96 | issuedAt << 32 | billed seconds;
    // payment = fromAllowance << 128 | fromVault; stakeAndFee = fromRouterStake << 128 | builderFee.
    // cost = pricePerSecond x billed (from the ticket), shortfall = cost - paid.
    event SessionSettled(bytes32 indexed sessionId, bytes32 manifest, uint256 record, uint256 payment, uint256 stakeAndFee);
    event ReceiptRefused(bytes32 indexed sessionId, uint256 reason);
    event BatchSettled(address indexed sender, uint256 settled, uint256 refused);

    // Days. A day with activity closes with DayClosed; a run of idle days after it with one IdleDaysClosed.
    event DayClosed(
        uint64 indexed day,
        uint256 budget,
        uint256 circulating,
        uint256 allowanceSpent,
        uint256 buildersPaid,
        uint256 agentsPaid,
        uint256 emissionCompute,
        uint256 emissionCommunity,
        uint256 sessionSeconds,
        uint256 sessions
    );
    event IdleDaysClosed(uint64 firstDay, uint64 lastDay, uint256 emissionCompute, uint256 emissionCommunity);
    event GenesisSealed(uint64 firstDay, uint256 computePool, uint256 communityPool, uint256 circulating);
}

interface IComputeErrors {
    // Authentication (kUnauthenticated).
    error BadSignature(address recovered, address expected);
    error ReceiptsHashMismatch(bytes32 signed, bytes32 computed);
    // Nonces and funds (kFailedPrecondition).
    error StaleNonce(uint64 nonce, uint64 next);
    error FutureNonce(uint64 nonce, uint64 next);
    error InsufficientFunds(uint8 balance, uint256 have, uint256 need);
    error ProviderStakeBelowMinimum(uint256 stake, uint256 minimum);
    error UnstakeAllOrKeepMinimum(uint256 minimum);
    error RouterStakeBelowMinimum(uint256 stake, uint256 minimum);
    error NothingToClaim();
    error DayNotEnded(uint64 day, uint64 today);
    error NoReceiptSettled(bytes reasons);
    error Reentrancy();
    // Malformed input (kInvalidArgument).
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error InvalidModelName(string name);
    error InvalidTag(string tag);
    error InvalidKind(string kind);
    error BuilderFeeTooHigh(uint32 fee, uint32 maximum);
    error ZeroManifest();
    error InvalidEndpoint();
    error ZeroPrice();
    error MinSecondsAboveCap(uint32 minSeconds, uint32 cap);
    error InvalidRole(string role);
    error EmptyBatch();
    error TooManyReceipts(uint256 count, uint256 maximum);
    error CountMismatch(uint32 count, uint256 receipts);
    error SupplyOverflow(uint256 amount);
    // Ownership (kPermissionDenied).
    error NamespaceOwned(string namespace_, address owner);
    error NotModelOwner(string name, address owner);
    error NotMinter(address sender);
    error NotDeployer(address sender);
    // Existence (kNotFound / kAlreadyExists).
    error ModelNotFound(string name);
    error ManifestNotRegistered(bytes32 manifest);
    error NotProvider(address who);
    error NoOfferToWithdraw(bytes32 manifest);
    error ManifestTaken(bytes32 manifest, string model);
    // Life cycle and token (kFailedPrecondition).
    error NotLive();
    error AlreadyLive();
    error NotMintable();
    error TokenCallFailed(address token, bytes data);
    error InvalidParams(string what);
}
