// Starts a real Bluesky network (PLC, PDS, AppView) from @atproto/dev-env for amplify's tests.
//
//   DB_POSTGRES_URL=postgresql://... REDIS_HOST=unused TMPDIR=/a/folder node launch.mjs
//
// Prints one JSON line when ready: {"plc": URL, "pds": URL, "appview": URL, "control": URL}. The control server
// (127.0.0.1 only) answers POST /process-all once the AppView has caught up with everything written so far.
// Stops on SIGTERM, SIGINT or when standard input closes (the test process that started it went away).
// The dev-env servers listen on every interface: run this only on a test machine.
import http from 'node:http'
import { TestNetwork } from '@atproto/dev-env'

const schema = process.env.AMPLIFY_NETWORK_SCHEMA || 'amplify'
const network = await TestNetwork.create({ dbPostgresSchema: schema })

let stopping = false
async function stop(code) {
  if (stopping) return
  stopping = true
  control.close()
  try {
    await network.close()
  } finally {
    process.exit(code)
  }
}

const control = http.createServer(async (request, response) => {
  if (request.method === 'POST' && request.url === '/process-all') {
    try {
      await network.processAll()
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error))
    }
    return
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
})
control.listen(0, '127.0.0.1', () => {
  const ready = {
    plc: network.plc.url,
    pds: network.pds.url,
    appview: network.bsky.url,
    control: `http://127.0.0.1:${control.address().port}`,
  }
  process.stdout.write(JSON.stringify(ready) + '\n')
})

process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.resume()
