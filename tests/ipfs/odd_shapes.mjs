// Independent readers of odd UnixFS shapes served by a trustless gateway (`lt store serve`):
// Helia over HTTP (that gateway only) lists every directory and reads every file under ROOT by
// path; ipfs-unixfs-exporter reads byte ranges of each file from nothing but the blocks of a
// `?format=car&entity-bytes=from:to` answer. Both are compared with the files in DIR.
//
//   node odd_shapes.mjs GATEWAY_URL ROOT_CID DIR
//     -> {"files": N, "dirs": M, "ranges": R, "bad": ["what went wrong", ...]} on stdout
import { createHeliaHTTP } from '@helia/http'
import { unixfs } from '@helia/unixfs'
import { httpGatewayRouting } from '@helia/routers'
import { trustlessGateway } from '@helia/block-brokers'
import { exporter } from 'ipfs-unixfs-exporter'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CarBlockIterator } from '@ipld/car'
import { CID } from 'multiformats/cid'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const [gateway, rootText, dir] = process.argv.slice(2)
const root = CID.parse(rootText)
const helia = await createHeliaHTTP({
  routers: [httpGatewayRouting({ gateways: [gateway] })],
  blockBrokers: [trustlessGateway({ allowInsecure: true, allowLocal: true })],
  start: true
})
const ufs = unixfs(helia)
const out = { files: 0, dirs: 0, ranges: 0, bad: [] }
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex')

// The blocks of a CAR answer, hash-checked by the exporter as it reads them.
async function carRange (rel, from, to) {
  const p = rel.split('/').map(encodeURIComponent).join('/')
  const res = await fetch(`${gateway}/ipfs/${rootText}/${p}?format=car&entity-bytes=${from}:${to}`)
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`)
  const bs = new MemoryBlockstore()
  for await (const { cid, bytes } of await CarBlockIterator.fromBytes(new Uint8Array(await res.arrayBuffer()))) {
    await bs.put(cid, bytes)
  }
  const entry = await exporter(`/ipfs/${rootText}/${rel}`, bs)
  return { entry, bs }
}

async function walk (rel) {
  const abs = path.join(dir, rel)
  if (fs.statSync(abs).isDirectory()) {
    out.dirs++
    const want = fs.readdirSync(abs).sort()
    const got = []
    for await (const e of ufs.ls(root, { path: rel, signal: AbortSignal.timeout(20000) })) got.push(e.name)
    if (JSON.stringify(got.sort()) !== JSON.stringify(want)) out.bad.push(`ls ${rel}: ${got} != ${want}`)
    for (const name of want) await walk(rel ? `${rel}/${name}` : name)
    return
  }
  out.files++
  const data = fs.readFileSync(abs)
  const parts = []
  for await (const c of ufs.cat(root, { path: rel, signal: AbortSignal.timeout(30000) })) parts.push(c)
  if (sha(Buffer.concat(parts)) !== sha(data)) out.bad.push(`cat ${rel}: content differs`)
  const n = data.length
  const ranges = n === 0 ? [[0, '*']] : [[0, 0], [n - 1, n - 1], [-1, '*'], [0, '*'], [Math.floor(n / 3), Math.floor(2 * n / 3)]]
  for (const [from, to] of ranges) {
    out.ranges++
    try {
      const { entry } = await carRange(rel, from, to)
      const f = from < 0 ? n + from : from
      const t = to === '*' ? n - 1 : to
      const got = []
      if (n > 0) for await (const c of entry.content({ offset: f, length: t - f + 1 })) got.push(c)
      if (!Buffer.concat(got).equals(data.subarray(f, t + 1))) out.bad.push(`range ${rel} ${from}:${to}: bytes differ`)
    } catch (e) {
      out.bad.push(`range ${rel} ${from}:${to}: ${e.message}`)
    }
  }
}

try {
  await walk('')
} catch (e) {
  out.bad.push(`walk: ${e.message}`)
}
await helia.stop()
console.log(JSON.stringify(out))
process.exit(0)
