// EIP-712 typed data from an independent implementation: ethers v6.
//
//   node typed_data.mjs gen DIR
//       writes DIR/ticket.json, DIR/rfc.json, DIR/complex.json (eth_signTypedData_v4 documents),
//       signs each with a fixed ethers Wallet, and prints one JSON line:
//       {"signer": ADDRESS, "docs": [{"name", "file", "digest", "signature"}, ...]}
//   node typed_data.mjs verify FILE SIGNATURE
//       prints {"signer": verifyTypedData(...), "digest": TypedDataEncoder.hash(...)}
//
// ethers takes the types without EIP712Domain (it derives the domain type from the domain
// object), so the documents' EIP712Domain entry is removed before calling it.
import { Wallet, TypedDataEncoder, verifyTypedData, keccak256, toUtf8Bytes } from 'ethers'
import fs from 'node:fs'
import path from 'node:path'

const domain = {
  name: 'LakeTravis',
  version: '1',
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3'
}
const domainType = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' }
]

const docs = {
  ticket: {
    primaryType: 'Ticket',
    types: {
      Ticket: [
        { name: 'sessionId', type: 'bytes32' }, { name: 'user', type: 'address' },
        { name: 'provider', type: 'address' }, { name: 'router', type: 'address' },
        { name: 'manifest', type: 'bytes32' }, { name: 'pricePerSecond', type: 'uint256' },
        { name: 'minSeconds', type: 'uint32' }, { name: 'maxSeconds', type: 'uint32' },
        { name: 'issuedAt', type: 'uint64' }, { name: 'expiresAt', type: 'uint64' }
      ]
    },
    message: {
      sessionId: keccak256(toUtf8Bytes('session-1')),
      user: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      provider: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      router: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
      manifest: keccak256(toUtf8Bytes('manifest')),
      pricePerSecond: '1500000000000000',
      minSeconds: 60,
      maxSeconds: 600,
      issuedAt: 1700000000,
      expiresAt: '18446744073709551615'
    }
  },
  rfc: {
    primaryType: 'RFC',
    types: {
      RFC: [
        { name: 'user', type: 'address' }, { name: 'model', type: 'string' },
        { name: 'maxPricePerSecond', type: 'uint256' }, { name: 'minTps', type: 'uint32' },
        { name: 'maxLatencyMs', type: 'uint32' }, { name: 'wantSeconds', type: 'uint32' },
        { name: 'nonce', type: 'uint64' }, { name: 'expiresAt', type: 'uint64' },
        { name: 'excludeProviders', type: 'address[]' }
      ]
    },
    message: {
      user: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      model: 'meta/llama3:8b-q8_0',
      maxPricePerSecond: '115792089237316195423570985008687907853269984665640564039457584007913129639935',
      minTps: 20,
      maxLatencyMs: 1500,
      wantSeconds: 600,
      nonce: 7,
      expiresAt: 1700000600,
      excludeProviders: ['0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', '0x90F79bf6EB2c4f870365E785982E1f101E93b906']
    }
  },
  complex: {
    primaryType: 'Order',
    types: {
      Order: [
        { name: 'maker', type: 'Party' }, { name: 'legs', type: 'Leg[]' },
        { name: 'memo', type: 'bytes' }, { name: 'delta', type: 'int64' },
        { name: 'matrix', type: 'uint16[2][]' }, { name: 'tags', type: 'bytes32[2]' },
        { name: 'flag', type: 'bool' }, { name: 'names', type: 'string[]' },
        { name: 'nested', type: 'Party[][]' }
      ],
      Party: [{ name: 'who', type: 'address' }, { name: 'label', type: 'string' }],
      Leg: [
        { name: 'amount', type: 'uint256' }, { name: 'side', type: 'int8' },
        { name: 'party', type: 'Party' }, { name: 'code', type: 'bytes4' }
      ]
    },
    message: {
      maker: { who: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', label: 'maker ✓' },
      legs: [
        { amount: '1000000000000000000', side: -128, party: { who: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', label: 'a' }, code: '0xdeadbeef' },
        { amount: '0', side: 127, party: { who: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', label: '' }, code: '0x00000001' }
      ],
      memo: '0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021',
      delta: '-9223372036854775808',
      matrix: [[1, 2], [65535, 0], [7, 8]],
      tags: [keccak256(toUtf8Bytes('t1')), keccak256(toUtf8Bytes('t2'))],
      flag: true,
      names: ['alpha', 'beta', ''],
      nested: [[], [{ who: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', label: 'x' }]]
    }
  }
}

function withoutDomain (types) {
  const t = { ...types }
  delete t.EIP712Domain
  return t
}

const [cmd, ...rest] = process.argv.slice(2)
if (cmd === 'gen') {
  const dir = rest[0]
  // A fixed key (the second Hardhat/Anvil dev account).
  const wallet = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
  const out = []
  for (const [name, d] of Object.entries(docs)) {
    const doc = { types: { EIP712Domain: domainType, ...d.types }, primaryType: d.primaryType, domain, message: d.message }
    const file = path.join(dir, name + '.json')
    fs.writeFileSync(file, JSON.stringify(doc, null, 2))
    const signature = await wallet.signTypedData(domain, d.types, d.message)
    out.push({ name, file, digest: TypedDataEncoder.hash(domain, d.types, d.message), signature })
  }
  console.log(JSON.stringify({ signer: wallet.address, docs: out }))
} else if (cmd === 'verify') {
  const doc = JSON.parse(fs.readFileSync(rest[0], 'utf8'))
  const types = withoutDomain(doc.types)
  const signer = verifyTypedData(doc.domain, types, doc.message, rest[1])
  console.log(JSON.stringify({ signer, digest: TypedDataEncoder.hash(doc.domain, types, doc.message) }))
} else {
  console.error('usage: node typed_data.mjs gen DIR | verify FILE SIGNATURE')
  process.exit(2)
}
