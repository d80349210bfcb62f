// Content made by an independent implementation: ipfs-unixfs-importer imports a file or a
// directory and @ipld/car's CarWriter writes its blocks as a CAR v1 (root first, then the blocks
// in the order the importer made them, as `ipfs dag export` would hold them).
//
//   node make_car.mjs PATH [--car OUT.car] [--profile unixfs-v1-2025|unixfs-v0-2015]
//                          [--shard-threshold BYTES]
//     -> {"cid": "...", "blocks": N} on stdout
//   node make_car.mjs --read-car IN.car
//     -> {"roots": [...], "blocks": [[cid, bytes], ...]}, every block hash-checked
//
// unixfs-v0-2015 is kubo's default layout (IPIP-499): CIDv0, dag-pb leaves with the data inline,
// 256 KiB chunks, 174 links per node, HAMT decided on link bytes. A CAR of it is what
// `ipfs add` + `ipfs dag export` produce with kubo's defaults.
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CarWriter, CarReader } from '@ipld/car'
import { sha256 } from 'multiformats/hashes/sha2'
import fs from 'node:fs'
import path from 'node:path'

const args = process.argv.slice(2)
function opt (name) {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

class RecordingStore extends MemoryBlockstore {
  constructor () { super(); this.order = []; this.bytes = new Map() }
  async put (cid, bytes) {
    const k = cid.toString()
    if (!this.bytes.has(k)) {
      if (!(bytes instanceof Uint8Array)) {
        const parts = []
        for await (const p of bytes) parts.push(p)
        bytes = Buffer.concat(parts)
      }
      this.order.push(cid)
      this.bytes.set(k, bytes)
    }
    return cid
  }
}

function * walk (root, rel) {
  const st = fs.statSync(root)
  if (st.isDirectory()) {
    yield { path: rel }
    for (const name of fs.readdirSync(root).sort()) yield * walk(path.join(root, name), rel + '/' + name)
  } else {
    yield { path: rel, content: fs.readFileSync(root) }
  }
}

async function main () {
  if (opt('--read-car') !== undefined) {
    const reader = await CarReader.fromBytes(fs.readFileSync(opt('--read-car')))
    const roots = (await reader.getRoots()).map(c => c.toString())
    const blocks = []
    for await (const { cid, bytes } of reader.blocks()) {
      const d = await sha256.digest(bytes)
      if (!d.bytes.slice(2).every((x, i) => x === cid.multihash.digest[i])) throw new Error('block hash mismatch ' + cid)
      blocks.push([cid.toString(), bytes.length])
    }
    console.log(JSON.stringify({ roots, blocks }))
    return
  }
  const p = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')))
  const st = fs.statSync(p)
  const source = st.isDirectory() ? walk(p, path.basename(path.resolve(p))) : [{ path: path.basename(p), content: fs.readFileSync(p) }]
  const options = { profile: opt('--profile') ?? 'unixfs-v1-2025' }
  if (opt('--shard-threshold') !== undefined) options.shardSplitThresholdBytes = Number(opt('--shard-threshold'))
  const store = new RecordingStore()
  let last
  for await (const entry of importer(source, store, options)) last = entry
  if (opt('--car') !== undefined) {
    const { writer, out } = CarWriter.create([last.cid])
    const chunks = []
    const done = (async () => { for await (const c of out) chunks.push(c) })()
    for (const cid of store.order) await writer.put({ cid, bytes: store.bytes.get(cid.toString()) })
    await writer.close()
    await done
    fs.writeFileSync(opt('--car'), Buffer.concat(chunks))
  }
  console.log(JSON.stringify({ cid: last.cid.toString(), blocks: store.order.length }))
}
main().catch(e => { console.error(e.stack ?? e.message); process.exit(1) })
