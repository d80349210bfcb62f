// Reference CIDs from an independent implementation: ipfs-unixfs-importer with the
// unixfs-v1-2025 profile (IPIP-499).
//
//   node unixfs_cid.mjs PATH [--car OUT.car]   -> {"cid": "...", "size": N} on stdout
//   node unixfs_cid.mjs --gen BYTES [--car OUT.car]
//       imports BYTES of deterministic content generated on the fly (an LCG per MiB, so every chunk differs)
//   node unixfs_cid.mjs --emit BYTES            -> the same generated content on stdout
//   --chunk N --links M                         -> reduced chunk size / links per node (tests)
//   node unixfs_cid.mjs --read-car IN.car   -> {"roots": [...], "blocks": [[cid, sha256hex], ...]}
//
// With --car the importer's blocks are written with @ipld/car's CarWriter (root first, then the
// blocks in the order the importer produced them).
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CarWriter, CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import fs from 'node:fs'
import path from 'node:path'

const args = process.argv.slice(2)
function opt (name) {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

// A blockstore that keeps only CIDs (order of first put) and, when asked, the bytes.
class RecordingStore extends MemoryBlockstore {
  constructor (keep) { super(); this.order = []; this.keep = keep; this.seen = new Set(); this.bytes = new Map() }
  async put (cid, bytes) {
    const k = cid.toString()
    if (!this.seen.has(k)) { this.seen.add(k); this.order.push(cid) }
    if (this.keep && !this.bytes.has(k)) {
      if (!(bytes instanceof Uint8Array)) {  // some versions hand over an iterable of chunks
        const parts = []
        for await (const p of bytes) parts.push(p)
        bytes = Buffer.concat(parts)
      }
      this.bytes.set(k, bytes)
    }
    return cid
  }
}

function * walk (root, rel) {
  const st = fs.statSync(root)
  if (st.isDirectory()) {
    yield { path: rel }
    for (const name of fs.readdirSync(root)) yield * walk(path.join(root, name), rel + '/' + name)
  } else {
    yield { path: rel, content: fs.createReadStream(root, { highWaterMark: 1 << 20 }) }
  }
}

async function * generated (total) {
  const block = 1 << 20
  for (let off = 0; off < total; off += block) {
    const n = Math.min(block, total - off)
    const buf = new Uint8Array(n)
    let state = (Math.floor(off / block) * 2654435761 + 1) >>> 0
    for (let j = 0; j < n; j++) { state = (Math.imul(state, 1103515245) + 12345) >>> 0; buf[j] = state >>> 24 }
    yield buf
  }
}

async function main () {
  if (opt('--emit') !== undefined) {
    // Writes the generated content to stdout (to pipe into `lt cid -`).
    for await (const buf of generated(Number(opt('--emit')))) {
      if (!process.stdout.write(buf)) await new Promise(resolve => process.stdout.once('drain', resolve))
    }
    return
  }
  if (opt('--read-car') !== undefined) {
    const bytes = fs.readFileSync(opt('--read-car'))
    const reader = await CarReader.fromBytes(bytes)
    const roots = (await reader.getRoots()).map(c => c.toString())
    const blocks = []
    for await (const { cid, bytes: b } of reader.blocks()) {
      const d = await sha256.digest(b)
      if (!d.bytes.slice(2).every((x, i) => x === cid.multihash.digest[i])) throw new Error('block hash mismatch ' + cid)
      blocks.push([cid.toString(), b.length])
    }
    console.log(JSON.stringify({ roots, blocks }))
    return
  }
  const carOut = opt('--car')
  const store = new RecordingStore(carOut !== undefined)
  let source
  let size = 0
  if (opt('--gen') !== undefined) {
    size = Number(opt('--gen'))
    source = [{ path: 'gen', content: generated(size) }]
  } else {
    const p = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')))[0]
    const st = fs.statSync(p)
    if (st.isDirectory()) source = walk(p, path.basename(path.resolve(p)))
    else { size = st.size; source = [{ path: path.basename(p), content: fs.createReadStream(p, { highWaterMark: 1 << 20 }) }] }
  }
  let last
  const options = { profile: 'unixfs-v1-2025' }
  // Reduced-size layouts for fast tests of the tree shape (the profile's are 1 MiB and 1024).
  if (opt('--chunk') !== undefined) options.chunker = fixedSize({ chunkSize: Number(opt('--chunk')) })
  if (opt('--links') !== undefined) options.layout = balanced({ maxChildrenPerNode: Number(opt('--links')) })
  for await (const entry of importer(source, store, options)) last = entry
  if (carOut !== undefined) {
    const { writer, out } = CarWriter.create([last.cid])
    const chunks = []
    const done = (async () => { for await (const c of out) chunks.push(c) })()
    for (const cid of store.order) await writer.put({ cid, bytes: store.bytes.get(cid.toString()) })
    await writer.close()
    await done
    fs.writeFileSync(carOut, Buffer.concat(chunks))
  }
  console.log(JSON.stringify({ cid: last.cid.toString(), dag_size: Number(last.size), size, blocks: store.order.length }))
}
main().catch(e => { console.error(e.message); process.exit(1) })
