#!/usr/bin/env bash
# The demo of what Lake Travis runs today, all real `lt` processes on 127.0.0.1:
# keys, a ledger from a genesis, a builder registering the shipped model by its content
# address, a router, a provider serving the model with the built-in engine, one private
# metered session, and its settlement on the ledger. `lt devnet` (issue 8) will replace it.
set -euo pipefail
cd "$(dirname "$0")/.."
LT="$PWD/build/lt"
DIR="${1:-$PWD/build/demo}"
MODELS="${LT_MODELS_DIR:-$PWD/../shared/models}"
LEDGER_PORT="${LEDGER_PORT:-17545}"
ROUTER_PORT="${ROUTER_PORT:-17600}"
PROVIDER_PORT="${PROVIDER_PORT:-17070}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
wait_http() { for _ in $(seq 1 150); do "$LT" --log-level off ledger txs --ledger "$1" --from 0 >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
wait_port() { for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

[ -f "$MODELS/stories260K.bin" ] || { echo "demo: the shipped model is missing at $MODELS" >&2; exit 1; }
rm -rf "$DIR"; mkdir -p "$DIR"; cd "$DIR"

step "Identities: one secp256k1 key per actor, in Web3 Secret Storage keystores"
for who in user builder router provider; do
  echo "demo-password-$who" > "$who.pw"; chmod 600 "$who.pw"
  addr=$("$LT" key new --light --keystore "$who.json" --password-file "$who.pw")
  printf '%-9s %s\n' "$who" "$addr"; declare "ADDR_${who}=$addr"
done

step "The model, content-addressed (IPFS unixfs-v1-2025 profile) and run locally"
"$LT" cid "$MODELS/stories260K.bin"
MANIFEST="0x$(sha256sum "$MODELS/stories260K.bin" | cut -d' ' -f1)"
echo "manifest digest used in tickets: $MANIFEST"
"$LT" generate --model "$MODELS/stories260K.bin" --prompt "Once upon a time" --steps 40 --temperature 0

step "Ledger (the Compute Contract) from a genesis"
cat > genesis.json <<JSON
{
  "chain_id": 31337,
  "verifying_contract": "0x000000000000000000000000000000000000a11c",
  "day_seconds": 86400,
  "emission": { "compute": { "initial": "3456", "decrease": "0.59255872824" },
                "community": { "initial": "3456", "decrease": "0.59255872824" } },
  "params": { "beta_bps": 1000, "budget_bps": 100, "max_builder_fee_bps": 2000, "agent_share_bps": 1000,
              "min_provider_stake": "10", "min_router_stake": "100" },
  "pools": { "compute": "1000000", "community": "100000" },
  "allocations": [
    { "address": "$ADDR_user", "wallet": "100", "vault": "1000" },
    { "address": "$ADDR_builder", "wallet": "10", "vault": "0" },
    { "address": "$ADDR_router", "wallet": "1000", "vault": "0" },
    { "address": "$ADDR_provider", "wallet": "100", "vault": "0" }
  ]
}
JSON
"$LT" ledger init --datadir ledger --genesis genesis.json
"$LT" --log-level warn ledger serve --datadir ledger --listen 127.0.0.1:$LEDGER_PORT > ledger.log 2>&1 & pids+=($!)
LEDGER=http://127.0.0.1:$LEDGER_PORT
wait_http "$LEDGER"
echo "ledger at $LEDGER"
"$LT" balance --ledger "$LEDGER" --address "$ADDR_user"

step "Builder registers demo/stories and tags :260k with the model's digest (5% builder fee)"
"$LT" ledger register-model demo/stories --builder-fee-bps 500 --ledger "$LEDGER" --keystore builder.json --password-file builder.pw
"$LT" ledger set-tag demo/stories:260k --manifest "$MANIFEST" --ledger "$LEDGER" --keystore builder.json --password-file builder.pw

step "Router (stakes 200 MOR, settles every 2 s) and provider (built-in CPU engine)"
"$LT" --datadir router --log-level warn router serve --listen 127.0.0.1:$ROUTER_PORT --ledger "$LEDGER" \
  --keystore router.json --password-file router.pw --stake 200 --settle-every-seconds 2 > router.log 2>&1 & pids+=($!)
cat > provider.toml <<TOML
keystore = "provider.json"
password_file = "provider.pw"
listen = "127.0.0.1:$PROVIDER_PORT"
http_listen = "127.0.0.1:$((PROVIDER_PORT + 1))"
endpoint = "127.0.0.1:$PROVIDER_PORT"
ledger = "$LEDGER"
routers = ["http://127.0.0.1:$ROUTER_PORT"]
accepted_routers = ["$ADDR_router"]
meter_interval_seconds = 2

[[model]]
name = "demo/stories:260k"
backend = "builtin"
path = "$MODELS/stories260K.bin"
tokenizer = "$MODELS/tok512.bin"
price = "0.001"
min_seconds = 5
slots = 4
threads = 1
TOML
"$LT" --datadir provider --log-level warn provider serve --config provider.toml > provider.log 2>&1 & pids+=($!)
wait_port $ROUTER_PORT && wait_port $PROVIDER_PORT
echo "router at http://127.0.0.1:$ROUTER_PORT, provider sessions at 127.0.0.1:$PROVIDER_PORT"

step "A private session: router-signed ticket, encrypted handshake, streamed story, signed vouchers"
# The provider does not publish its offer on the ledger yet (issue 6), so the router's RFC
# matching has nothing to match: the ticket is signed here with the router's own key.
"$LT" session ticket --keystore router.json --password-file router.pw --chain-id 31337 \
  --verifying-contract 0x000000000000000000000000000000000000a11c --user "$ADDR_user" \
  --provider "$ADDR_provider" --manifest "$MANIFEST" --price 0.001 --min-seconds 5 --max-seconds 600 --out ticket.json
"$LT" session chat --keystore user.json --password-file user.pw --chain-id 31337 \
  --verifying-contract 0x000000000000000000000000000000000000a11c --provider 127.0.0.1:$PROVIDER_PORT \
  --ticket ticket.json --prompt "Once upon a time" --max-tokens 80 --hold-seconds 3

step "Settlement: the provider hands the receipt to the router, which sends one settle_batch"
for _ in $(seq 1 50); do
  claim=$("$LT" --json balance --ledger "$LEDGER" --address "$ADDR_provider" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("claimable","0"))')
  [ "$claim" != "0" ] && break; sleep 0.2
done
for who in user provider builder router; do
  echo "-- $who"; a="ADDR_${who}"; "$LT" balance --ledger "$LEDGER" --address "${!a}"
done
step "Ledger statistics (transactions per settled session)"
curl -s "$LEDGER/stats" 2>/dev/null || python3 -c "import urllib.request;print(urllib.request.urlopen('$LEDGER/stats').read().decode())"
echo
"$LT" ledger verify --datadir ledger
echo; echo "demo: done. Logs and keys are in $DIR"
