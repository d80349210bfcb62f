// A plain trustless gateway that is not ours: node's http server over the blocks of a CAR file
// read with @ipld/car. It answers what the Trustless Gateway spec asks of a block store:
//
//   GET|HEAD /ipfs/<cid>?format=raw (or Accept: application/vnd.ipld.raw) -> the block
//   GET /ipfs/<cid>?format=car&dag-scope=block                           -> a CAR of that block
//   unknown block -> 404, anything else -> 400
//
//   node gateway_server.mjs --car IN.car --port P
// Prints "listening http://127.0.0.1:P" once ready; logs one line per request on stderr.
import { CarReader, CarWriter } from '@ipld/car'
import { CID } from 'multiformats/cid'
import http from 'node:http'
import fs from 'node:fs'

const args = process.argv.slice(2)
function opt (name) {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

const reader = await CarReader.fromBytes(fs.readFileSync(opt('--car')))
const blocks = new Map()
for await (const { cid, bytes } of reader.blocks()) blocks.set(Buffer.from(cid.multihash.bytes).toString('hex'), { cid, bytes })
let served = 0

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  const m = url.pathname.match(/^\/ipfs\/([^/]+)\/?$/)
  let cid
  try {
    cid = m ? CID.parse(m[1]) : null
  } catch { cid = null }
  if (cid == null) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n')
    return
  }
  const accept = req.headers.accept ?? ''
  const format = url.searchParams.get('format') ?? (accept.includes('application/vnd.ipld.raw') ? 'raw' : accept.includes('application/vnd.ipld.car') ? 'car' : '')
  const block = blocks.get(Buffer.from(cid.multihash.bytes).toString('hex'))
  process.stderr.write(`${req.method} ${url.pathname} ${format} ${block ? 200 : 404}\n`)
  if (format !== 'raw' && format !== 'car') {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('ask for format=raw or format=car\n')
    return
  }
  if (block == null) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    return
  }
  served++
  const headers = { 'cache-control': 'public, max-age=29030400, immutable', etag: `"${cid}.${format}"` }
  if (format === 'raw') {
    res.writeHead(200, { ...headers, 'content-type': 'application/vnd.ipld.raw', 'content-length': block.bytes.length })
    res.end(req.method === 'HEAD' ? undefined : block.bytes)
    return
  }
  const { writer, out } = CarWriter.create([cid])
  res.writeHead(200, { ...headers, 'content-type': 'application/vnd.ipld.car; version=1; order=dfs; dups=n' })
  const done = (async () => { for await (const c of out) res.write(c) })()
  await writer.put({ cid, bytes: block.bytes })
  await writer.close()
  await done
  res.end()
})

server.listen(Number(opt('--port') ?? 0), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`)
})
process.on('SIGTERM', () => {
  process.stderr.write(`served ${served} blocks\n`)
  process.exit(0)
})
