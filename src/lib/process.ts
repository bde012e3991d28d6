/**
 * Runs programs with argument arrays (never a shell string built from input), with a
 * timeout that kills the whole process group, bounded output capture, and optional
 * line callbacks for streaming logs.
 */
import { spawn } from 'node:child_process'

export interface ExecOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer
  /** Kill the process (and its group) after this many ms; the result says `timedOut`. */
  timeoutMs?: number
  /** Called with each complete line of stdout / stderr as it arrives. */
  onStdoutLine?: (line: string) => void
  onStderrLine?: (line: string) => void
  /** Keep at most this many bytes of each stream (the tail). Default 16 MiB. */
  maxBuffer?: number
}

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
  timedOut: boolean
  durationMs: number
}

function lineSplitter(cb?: (line: string) => void): { push(s: string): void; end(): void } {
  let rest = ''
  return {
    push(s) {
      if (!cb) return
      rest += s
      let i: number
      while ((i = rest.indexOf('\n')) >= 0) {
        cb(rest.slice(0, i).replace(/\r$/, ''))
        rest = rest.slice(i + 1)
      }
    },
    end() {
      if (cb && rest) cb(rest)
      rest = ''
    }
  }
}

/** Runs `cmd args…` and resolves with its exit code and output; never rejects on a non-zero exit. */
export function exec(
  cmd: string,
  args: readonly string[],
  opts: ExecOptions = {}
): Promise<ExecResult> {
  const max = opts.maxBuffer ?? 16 * 1024 * 1024
  const start = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args as string[], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true
    })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const out = lineSplitter(opts.onStdoutLine)
    const err = lineSplitter(opts.onStderrLine)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (s: string) => {
      stdout = (stdout + s).slice(-max)
      out.push(s)
    })
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-max)
      err.push(s)
    })
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true
            killGroup(child.pid)
          }, opts.timeoutMs)
        : undefined
    child.on('error', e => {
      if (timer) clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      out.end()
      err.end()
      resolve({
        code: code ?? (signal ? 128 + 9 : 1),
        stdout,
        stderr,
        timedOut,
        durationMs: Date.now() - start
      })
    })
    child.stdin.on('error', () => undefined)
    if (opts.input !== undefined) child.stdin.end(opts.input)
    else child.stdin.end()
  })
}

function killGroup(pid: number | undefined): void {
  if (!pid) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* already gone */
    }
  }
}
