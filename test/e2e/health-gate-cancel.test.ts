/**
 * A cancelled step leaks no container: the runner cancels a step with SIGINT (then
 * SIGTERM). A gate that started the image removes it and exits before its deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { buildImages, containerExists } from '../fixtures/health-gate/images.js'
import { runAction } from '../harness/runner.js'

let images: ReturnType<typeof buildImages>
beforeAll(() => {
  images = buildImages(`cancel-${process.pid}`)
})
afterAll(() => {
  images.remove()
})

describe('e2e health-gate: cancelled', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'on %s it removes the container it started and exits',
    async signal => {
      let id: string | undefined
      let log = ''
      const started = Date.now()
      const r = await runAction('health-gate', {
        inputs: {
          image: images.httpd,
          port: '8080',
          path: '/never-there', // 404 until the deadline: the gate would wait 2 minutes
          interval: '250ms',
          timeout: '2m'
        },
        onOutput: chunk => {
          log += chunk
          const m = log.match(/Container ([0-9a-f]{12})/)
          if (m && !id) id = m[1]
        },
        onStart: child => {
          const timer = setInterval(() => {
            if (id && /#2 /.test(log)) {
              clearInterval(timer)
              child.kill(signal)
            }
          }, 50)
          child.on('close', () => clearInterval(timer))
        }
      })
      expect(id).toBeDefined()
      expect(r.exitCode).toBe(signal === 'SIGINT' ? 130 : 143)
      expect(Date.now() - started).toBeLessThan(60_000)
      expect(r.log).toContain(`Cancelled (${signal}): removing container(s)`)
      expect(containerExists(id!)).toBe(false)
    }
  )
})
