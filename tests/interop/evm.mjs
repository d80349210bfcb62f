// ethers v6 as the independent peer for src/evm (tests/interop/evm_test.cc): given a JSON file of
// cases, it prints what ethers makes of each, for the C++ side to compare with its own.
//   node evm.mjs FILE.json   where FILE.json = {
//     "abi":  [{"types": ["uint256", "(address,bytes)[]"], "values": [...]}],   -> encoded hex
//     "txs":  [{"key": "0x..", "tx": {chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit,
//               to, value, data}}],                                              -> raw, hash, from
//     "rlp":  [<nested arrays of 0x-hex strings>],                               -> encoded hex
//     "create": [{"from": "0x..", "nonce": N}],                                   -> address
//     "decode": [{"types": [...], "data": "0x.."}]                                -> values (JSON)
//   }
// Values use ethers' own JSON-friendly forms: integers as decimal strings, bytes as 0x-hex.
import { readFileSync } from 'node:fs';
import { AbiCoder, Transaction, Wallet, encodeRlp, getCreateAddress } from 'ethers';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const coder = AbiCoder.defaultAbiCoder();
const out = { abi: [], txs: [], rlp: [], create: [], decode: [] };

const plain = (v) => {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && typeof v.toArray === 'function') return v.toArray().map(plain);
  return v;
};

for (const c of cases.abi || []) out.abi.push(coder.encode(c.types, c.values));
for (const c of cases.txs || []) {
  const w = new Wallet(c.key);
  const t = Transaction.from({ type: 2, ...c.tx, accessList: [] });
  const raw = await w.signTransaction(t);
  const parsed = Transaction.from(raw);
  out.txs.push({ raw, hash: parsed.hash, from: parsed.from, unsignedHash: parsed.unsignedHash });
}
for (const c of cases.rlp || []) out.rlp.push(encodeRlp(c));
for (const c of cases.create || []) out.create.push(getCreateAddress(c));
for (const c of cases.decode || []) {
  try {
    out.decode.push({ ok: true, values: plain(coder.decode(c.types, c.data)) });
  } catch (e) {
    out.decode.push({ ok: false, error: String(e.shortMessage || e.message).slice(0, 200) });
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
