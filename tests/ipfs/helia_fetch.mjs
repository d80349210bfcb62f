// Helia (over HTTP) as an IPFS user would run it against Lake Travis: its only router is the
// delegated router given (a Lake Travis router's /routing/v1), no public bootstrap, no public
// gateway; blocks come from whatever trustless gateways that router names.
//
//   node helia_fetch.mjs --router URL --cid CID [--path NAME] [--manifest] [--reps N]
//   node helia_fetch.mjs --gateway URL --cid CID ...   (no routing: that one gateway, for comparison)
//     -> {"sha256": "...", "bytes": N, "seconds": S, "providers": [...]} on stdout
//   --manifest: CID is a Lake Travis manifest (a raw JSON block); its `root` is read and then
//               NAME under that root is fetched.
//   --reps N:   fetch N times with fresh nodes (measurement); the figures of the last run.
//
// Every block Helia reads is hashed and checked against its CID by Helia itself.
import { createHeliaHTTP } from '@helia/http'
import { unixfs } from '@helia/unixfs'
import { delegatedHTTPRouting, httpGatewayRouting } from '@helia/routers'
import { trustlessGateway } from '@helia/block-brokers'
import { CID } from 'multiformats/cid'
import crypto from 'node:crypto'

const args = process.argv.slice(2)
function opt (name) {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

async function once (routerUrl, cidText, path, manifest) {
  const gateway = opt('--gateway')
  const helia = await createHeliaHTTP({
    routers: [gateway !== undefined ? httpGatewayRouting({ gateways: [gateway] }) : delegatedHTTPRouting(routerUrl)],
    blockBrokers: [trustlessGateway({ allowInsecure: true, allowLocal: true })],
    start: true
  })
  try {
    const started = process.hrtime.bigint()
    let root = CID.parse(cidText)
    // Helia's findProviders is an open stream (it may go on to look peers up): take the first.
    const providers = []
    for await (const p of helia.routing.findProviders(root, { signal: AbortSignal.timeout(20000) })) {
      providers.push({ id: p.id.toString(), addrs: p.multiaddrs.map(m => m.toString()) })
      break
    }
    if (manifest) {
      const bytes = await helia.blockstore.get(root, { signal: AbortSignal.timeout(20000) })
      root = CID.parse(JSON.parse(new TextDecoder().decode(bytes)).root)
    }
    const fs = unixfs(helia)
    const hash = crypto.createHash('sha256')
    let n = 0
    for await (const chunk of fs.cat(root, { path, signal: AbortSignal.timeout(60000) })) {
      hash.update(chunk)
      n += chunk.length
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    return { sha256: hash.digest('hex'), bytes: n, seconds, root: root.toString(), providers }
  } finally {
    await helia.stop()
  }
}

async function main () {
  const reps = Number(opt('--reps') ?? 1)
  let out
  for (let i = 0; i < reps; i++) out = await once(opt('--router'), opt('--cid'), opt('--path'), args.includes('--manifest'))
  console.log(JSON.stringify(out))
}
main().then(() => process.exit(0)).catch(e => { console.error(e.stack ?? e.message); process.exit(1) })
