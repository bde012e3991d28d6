import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { apiGet, engineSocket, inspectImageApi } from '../../../src/lib/build/engine-api.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-build-image-api-'))
const socket = path.join(dir, 'engine.sock')
const requests: string[] = []
/** An HTTP server on a unix socket, answering like the engine's image inspection. */
const server = http.createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`)
  const id = decodeURIComponent(req.url!.split('/')[2] ?? '')
  if (id === 'sha256:aaa') {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ Id: id, Size: 42, RootFS: { Layers: ['l1', 'l2'] } }))
  } else if (id === 'sha256:gone') {
    res.writeHead(404).end('{"message":"No such image"}')
  } else if (id === 'sha256:garbled') {
    res.writeHead(200).end('{not json')
  } else {
    res.writeHead(500).end('{"message":"boom"}')
  }
})

beforeAll(() => new Promise<void>(resolve => server.listen(socket, resolve)))
afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('engineSocket: the API only where the client talks to the same local socket', () => {
  const config = (content: object): string => {
    const d = mkdtempSync(path.join(dir, 'config-'))
    writeFileSync(path.join(d, 'config.json'), JSON.stringify(content))
    return d
  }

  it.each<[string, () => NodeJS.ProcessEnv, string | undefined]>([
    ['DOCKER_HOST=unix:// to a socket', () => ({ DOCKER_HOST: `unix://${socket}` }), socket],
    [
      'DOCKER_HOST=unix:// to nothing',
      () => ({ DOCKER_HOST: `unix://${dir}/none.sock` }),
      undefined
    ],
    [
      'DOCKER_HOST=unix:// to a plain file',
      () => ({ DOCKER_HOST: `unix://${makeFile()}` }),
      undefined
    ],
    ['DOCKER_HOST=tcp://', () => ({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), undefined],
    ['DOCKER_HOST=ssh://', () => ({ DOCKER_HOST: 'ssh://runner@build-host' }), undefined],
    [
      'DOCKER_CONTEXT set, even with a unix DOCKER_HOST',
      () => ({ DOCKER_CONTEXT: 'remote', DOCKER_HOST: `unix://${socket}` }),
      undefined
    ],
    ['no DOCKER_HOST: the default socket', () => ({ DOCKER_CONFIG: config({}) }), socket],
    [
      'no DOCKER_HOST, a current context in the config',
      () => ({ DOCKER_CONFIG: config({ currentContext: 'remote' }) }),
      undefined
    ],
    [
      'no DOCKER_HOST, the default context in the config',
      () => ({ DOCKER_CONFIG: config({ currentContext: 'default' }) }),
      socket
    ]
  ])('%s', (_name, env, expected) => {
    expect(engineSocket(env(), socket)).toBe(expected)
  })

  function makeFile(): string {
    const f = path.join(dir, 'plain-file')
    writeFileSync(f, '')
    return f
  }
})

describe('inspectImageApi', () => {
  it('reads the image over the socket with an unversioned path', async () => {
    requests.length = 0
    expect(await inspectImageApi(socket, 'sha256:aaa')).toEqual({
      image: { Id: 'sha256:aaa', Size: 42, RootFS: { Layers: ['l1', 'l2'] } }
    })
    expect(requests).toEqual(['GET /images/sha256%3Aaaa/json'])
  })

  it('says the engine has no such image on a 404', async () => {
    expect(await inspectImageApi(socket, 'sha256:gone')).toEqual({ image: undefined })
  })

  it.each([['sha256:error'], ['sha256:garbled']])(
    'cannot say (the caller asks the CLI) on %s',
    async ref => {
      expect(await inspectImageApi(socket, ref)).toBeUndefined()
    }
  )

  it('cannot say when nothing listens on the socket', async () => {
    expect(await inspectImageApi(path.join(dir, 'none.sock'), 'sha256:aaa')).toBeUndefined()
  })
})

describe('apiGet: one plain HTTP/1.0 exchange', () => {
  /** A raw server on its own socket that answers every connection with `reply` (or never). */
  async function rawServer(reply: string | undefined): Promise<{ path: string; close(): void }> {
    const p = path.join(dir, `raw-${Math.random().toString(36).slice(2)}.sock`)
    const open = new Set<net.Socket>()
    const srv = net.createServer(c => {
      open.add(c)
      c.on('data', () => {
        if (reply !== undefined) c.end(reply)
      })
    })
    await new Promise<void>(resolve => srv.listen(p, resolve))
    return {
      path: p,
      close: () => {
        for (const c of open) c.destroy()
        srv.close()
      }
    }
  }

  it('reads the status and the body of a close-delimited answer', async () => {
    const s = await rawServer('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"Id":"x"}')
    try {
      expect(await apiGet(s.path, '/images/x/json')).toEqual({ status: 200, body: '{"Id":"x"}' })
    } finally {
      s.close()
    }
  })

  it('refuses a chunked answer (the caller asks the CLI)', async () => {
    const s = await rawServer(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'
    )
    try {
      await expect(apiGet(s.path, '/x')).rejects.toThrow(/not a plain HTTP/)
    } finally {
      s.close()
    }
  })

  it('refuses something that is not HTTP at all', async () => {
    const s = await rawServer('SSH-2.0-OpenSSH_9.2\r\n')
    try {
      await expect(apiGet(s.path, '/x')).rejects.toThrow(/not a plain HTTP/)
    } finally {
      s.close()
    }
  })

  it('gives up at its timeout when the engine never answers', async () => {
    const s = await rawServer(undefined)
    try {
      await expect(apiGet(s.path, '/x', 100)).rejects.toThrow(/timed out/)
    } finally {
      s.close()
    }
  })
})
