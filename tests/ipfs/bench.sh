#!/usr/bin/env bash
# Measurements of Lake Travis as IPFS clients meet it, each against a peer measured in the same run
# (doc/registry.md "Figures"). Needs build/lt and tests/ipfs/node_modules (make deps build).
#
#   tests/ipfs/bench.sh [MIB]        (default 64: the size of the model file fetched)
#
# 1. HAMT import: `lt cid` of a 10,000-entry directory against ipfs-unixfs-importer on the same
#    directory (same CID asserted), wall time.
# 2. Helia fetching a MIB-MiB file (1 MiB leaves):
#      A  from our gateway, Helia told the gateway (no routing)
#      B  from an independent gateway (node + @ipld/car over the same blocks), the same way
#      C  from our gateway found through our router's delegated routing (a lookup per block)
#    A/B says how our gateway serves a standard client against another implementation; C/A what
#    delegated routing costs.
# 3. `lt model pull` of the same file from the independent gateway against Helia from it (B).
set -euo pipefail
MIB=${1:-64}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LT=$ROOT/build/lt
NODE=$(command -v node)
W=$(mktemp -d /tmp/lt-ipfs-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

echo "== 1. HAMT import, 10,000 entries"
mkdir -p "$W/many"
for i in $(seq -w 0 9999); do echo "entry $i" > "$W/many/f$i.txt"; done
t0=$(now); ours=$("$LT" cid "$W/many"); t1=$(now)
theirs=$("$NODE" "$HERE/make_car.mjs" "$W/many" | json "['cid']"); t2=$(now)
[ "$ours" = "$theirs" ] || { echo "CID mismatch: $ours vs $theirs"; exit 1; }
python3 -c "o=$t1-$t0; t=$t2-$t1; print(f'  lt cid {o:.2f} s, ipfs-unixfs-importer {t:.2f} s: {t/o:.0f}x faster, CID {\"$ours\"[:20]}...')"

echo "== 2. Helia reading a $MIB MiB file"
head -c $((MIB * 1048576)) /dev/urandom > "$W/model.bin"
"$NODE" "$HERE/make_car.mjs" "$W/model.bin" --car "$W/model.car" > "$W/car.json"
CID=$(json "['cid']" < "$W/car.json")
NET=$W/net
API=$(free_port)
"$LT" devnet --datadir "$NET" --api-port "$API" --no-showcase --exit-after 600 > "$W/devnet.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do [ -f "$NET/devnet.json" ] && break; sleep 0.2; done
ROUTER=$(json "['routers'][0]['url']" < "$NET/devnet.json")
LEDGER=$(json "['ledger']['url']" < "$NET/devnet.json")
KS=$(python3 -c "import json; a=[x for x in json.load(open('$NET/devnet.json'))['accounts'] if x['name']=='user'][0]; print(a['keystore'], a['password_file'])")
"$LT" --datadir "$W/holder" model import --car "$W/model.car" > /dev/null
GP=$(free_port)
read -r KEY PW <<< "$KS"
"$LT" --datadir "$W/holder" store serve --listen 127.0.0.1:$GP --router "$ROUTER" --ledger "$LEDGER" \
  --keystore "$KEY" --password-file "$PW" > "$W/serve.log" 2>&1 &
PIDS+=($!)
NP=$(free_port)
"$NODE" "$HERE/gateway_server.mjs" --car "$W/model.car" --port "$NP" > "$W/node-gw.log" 2> /dev/null &
PIDS+=($!)
for _ in $(seq 100); do
  curl -s "$ROUTER/routing/v1/providers/$CID" | grep -q "tcp/$GP/http" && break
  sleep 0.2
done
SHA=$(sha256sum "$W/model.bin" | cut -c1-64)
helia() {
  local out
  out=$("$NODE" "$HERE/helia_fetch.mjs" "$@" --cid "$CID" --reps 3)
  [ "$(json "['sha256']" <<< "$out")" = "$SHA" ] || { echo "sha256 mismatch: $out"; exit 1; }
  json "['seconds']" <<< "$out"
}
A=$(helia --gateway "http://127.0.0.1:$GP")
B=$(helia --gateway "http://127.0.0.1:$NP")
C=$(helia --router "$ROUTER")
python3 -c "
m=$MIB*1.048576
print(f'  A Helia <- lt gateway        {m/$A:7.1f} MB/s')
print(f'  B Helia <- @ipld/car gateway {m/$B:7.1f} MB/s   A/B = {$B/$A:.2f}')
print(f'  C Helia <- lt gateway found through the router (delegated routing) {m/$C:7.1f} MB/s   C/A = {$A/$C:.2f}')"

echo "== 3. lt model pull from the @ipld/car gateway"
t0=$(now)
"$LT" --datadir "$W/puller" --json model pull "$CID" --peer "http://127.0.0.1:$NP" --quiet > "$W/pull.json"
t1=$(now)
python3 -c "
m=$MIB*1.048576; p=$t1-$t0
print(f'  lt model pull {m/p:7.1f} MB/s (process included); Helia from the same gateway {m/$B:7.1f} MB/s: {$B/p:.2f}x')"
