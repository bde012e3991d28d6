/**
 * `npm run demo`, the newcomer's first command: it runs the whole pipeline on the example
 * service with a throwaway registry it starts itself, passes, and leaves no container,
 * image or registry process behind.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { exec } from '../../src/lib/process.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function demo(): Promise<{ code: number; out: string }> {
  const env = { ...process.env }
  delete env.GANTRY_REGISTRY // the embedded default: the demo starts its own registry
  return new Promise(resolve => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/demo.mjs')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (out += b.toString()))
    child.on('close', code => resolve({ code: code ?? 1, out }))
  })
}

describe('e2e: npm run demo', () => {
  it('completes the pipeline and leaves nothing behind', async () => {
    const { code, out } = await demo()
    if (code !== 0) throw new Error(out.slice(-4000))
    expect(out).toContain('Gantry pipeline: PASSED')
    for (const stage of ['Build and push', 'Test', 'Scan', 'Gate staging', 'Gate production'])
      expect(out).toMatch(new RegExp(`${stage}\\s+passed`))
    expect(out).toContain('no container left behind')

    const registry = out.match(/throwaway registry at (127\.0\.0\.1:\d+)/)![1]!
    // The registry is gone: nothing answers on its port.
    await expect(fetch(`http://${registry}/v2/`)).rejects.toThrow()
    // No container or image of the demo's registry remains.
    const ps = await exec('docker', ['ps', '-a', '--format', '{{.Image}}'])
    expect(ps.stdout.split('\n').filter(i => i.startsWith(registry))).toEqual([])
    const images = await exec('docker', ['image', 'ls', '--format', '{{.Repository}}'])
    expect(images.stdout.split('\n').filter(i => i.startsWith(registry))).toEqual([])
  })
})
