/** The Engine API client against a real HTTP server on a unix socket of this test's own. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { UserError } from '../../../src/lib/errors.js'
import { EngineApi, EngineError, engineEndpoint } from '../../../src/lib/profile/engine.js'

describe('engineEndpoint', () => {
  it.each([
    [{}, { socketPath: '/var/run/docker.sock', label: 'unix:///var/run/docker.sock' }],
    [
      { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' },
      { socketPath: '/run/user/1000/docker.sock', label: 'unix:///run/user/1000/docker.sock' }
    ],
    [
      { DOCKER_HOST: 'tcp://10.0.0.5:2375' },
      { host: '10.0.0.5', port: 2375, label: 'tcp://10.0.0.5:2375' }
    ],
    [{ DOCKER_HOST: 'tcp://docker' }, { host: 'docker', port: 2375, label: 'tcp://docker' }]
  ])('%j', (env, endpoint) => {
    expect(engineEndpoint(env)).toEqual(endpoint)
  })
  it.each([
    [{ DOCKER_HOST: 'ssh://me@host' }, /unix:\/\/ or tcp:\/\/ only, not ssh:\/\/…@host/],
    [
      { DOCKER_HOST: 'tcp://host:2376', DOCKER_TLS_VERIFY: '1' },
      /DOCKER_TLS_VERIFY is not supported/
    ]
  ])('%j is a UserError', (env, message) => {
    expect(() => engineEndpoint(env)).toThrow(message)
  })
})

describe('EngineApi on a unix socket', () => {
  let dir: string
  let socketPath: string
  let server: http.Server
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-engine-'))
    socketPath = path.join(dir, 'engine.sock')
    server = http.createServer((req, res) => {
      if (req.url === '/version') return void res.end(JSON.stringify({ ApiVersion: '1.41' }))
      if (req.url === '/missing')
        return void res.writeHead(404).end(JSON.stringify({ message: 'No such container: x' }))
      if (req.url === '/text') return void res.end('OK')
      if (req.url?.startsWith('/events')) {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.write('{"Action":"oom"}\n{"Action":')
        setTimeout(() => res.write('"die"}\nnot json\n'), 20)
        return
      }
      res.writeHead(500).end()
    })
    await new Promise<void>(resolve => server.listen(socketPath, resolve))
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })

  it('GETs JSON', async () => {
    const api = new EngineApi({ socketPath, label: 'test' })
    await expect(api.getJson('/version')).resolves.toEqual({ ApiVersion: '1.41' })
    api.close()
  })
  it('an error status carries the engine message', async () => {
    const api = new EngineApi({ socketPath, label: 'test' })
    const e = await api.getJson('/missing').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(EngineError)
    expect((e as Error).message).toBe('the Docker engine answered 404: No such container: x')
    api.close()
  })
  it('non-JSON is an error', async () => {
    const api = new EngineApi({ socketPath, label: 'test' })
    await expect(api.getJson('/text')).rejects.toThrow(/other than JSON/)
    api.close()
  })
  it('streams newline-delimited JSON across chunk boundaries, skipping junk', async () => {
    const api = new EngineApi({ socketPath, label: 'test' })
    const seen: unknown[] = []
    await api.stream('/events', o => seen.push(o))
    await new Promise(r => setTimeout(r, 100))
    expect(seen).toEqual([{ Action: 'oom' }, { Action: 'die' }])
    api.close()
  })
  it('a missing socket is a UserError naming the endpoint', async () => {
    const api = new EngineApi({
      socketPath: path.join(dir, 'nope.sock'),
      label: 'unix:///nope.sock'
    })
    const e = await api.getJson('/version').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(UserError)
    expect((e as Error).message).toBe(
      'Could not reach the Docker engine API at unix:///nope.sock (ENOENT): resource-profile reads container stats from it'
    )
    api.close()
  })
})
