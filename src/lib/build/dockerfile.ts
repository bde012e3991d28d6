/**
 * Just enough of the Dockerfile grammar to point at the instruction that failed: logical
 * instructions (line continuations joined, comments inside them dropped, the `escape`
 * parser directive honoured), the line each starts on, and the stage it belongs to.
 */

export interface Instruction {
  /** 1-based line the instruction starts on. */
  line: number
  /** Upper-cased keyword (`RUN`, `COPY`, …). */
  keyword: string
  /** Keyword and arguments as the builders print them: continuations removed. */
  text: string
  /** Index of the stage (0-based, -1 for ARGs before the first FROM). */
  stage: number
  /** Name given with `FROM … AS name`, lower-cased. */
  stageName?: string
}

/** Splits a Dockerfile into its instructions. */
export function parseDockerfile(source: string): Instruction[] {
  const lines = source.split(/\r?\n/)
  let escape = '\\'
  // Parser directives: only at the very top, before any other line.
  for (const l of lines) {
    const m = l.match(/^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/)
    if (!m) break
    if (m[1]!.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2]
  }
  const out: Instruction[] = []
  let stage = -1
  let stageName: string | undefined
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim()
    if (first === '' || first.startsWith('#')) continue
    const start = i + 1
    let text = lines[i]!.replace(/^\s+/, '')
    while (text.replace(/\s+$/, '').endsWith(escape) && i + 1 < lines.length) {
      text = text.replace(/\s+$/, '').slice(0, -1)
      i++
      // Comment and empty lines inside a continuation are dropped, as the builders do.
      while (i < lines.length && /^\s*(#.*)?$/.test(lines[i]!) && i + 1 < lines.length) i++
      text += lines[i]!
    }
    text = text.replace(/\s+$/, '')
    const keyword = (text.match(/^\S+/)?.[0] ?? '').toUpperCase()
    if (keyword === 'FROM') {
      stage++
      stageName = text.match(/\s+as\s+(\S+)\s*$/i)?.[1]?.toLowerCase()
    }
    out.push({ line: start, keyword, text, stage, stageName: keyword ? stageName : undefined })
  }
  return out
}

export interface FailureLocation {
  /** 1-based Dockerfile line of the failing instruction. */
  line?: number
  /** The instruction as the builder printed it. */
  instruction?: string
  /** Last lines the failing step printed (its own output, then the error). */
  output: string[]
  /** The builder's error message. */
  message: string
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim()

/** The first instruction of `pool` whose text the builder printed (or the only one with its keyword). */
function matchInstruction(text: string, pool: Instruction[]): Instruction | undefined {
  const wanted = norm(text)
  const hits = pool.filter(i => norm(i.text) === wanted)
  if (hits.length > 0) return hits[0]
  // ARGs expanded in the printed text: match on the keyword and the longest common prefix.
  const keyword = wanted.split(' ')[0]!.toUpperCase()
  const sameKeyword = pool.filter(i => i.keyword === keyword)
  return sameKeyword.length === 1 ? sameKeyword[0] : undefined
}

/** `Dockerfile parse error line 5` (both builders) and newer `Dockerfile:5` error blocks. */
function explicitLine(output: string): number | undefined {
  const parse = output.match(/parse error (?:on )?line (\d+)/i)
  if (parse) return Number(parse[1])
  const block = output.match(/^(?:\S*\/)?[\w.-]*Dockerfile[\w.-]*:(\d+)\s*$/im)
  if (block) return Number(block[1])
  return undefined
}

const TAIL = 15

/** Colour codes the legacy builder wraps around stderr of a step. */
// eslint-disable-next-line no-control-regex -- the escape character is what is being removed
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')

/**
 * Where a BuildKit build (`--progress=plain`) failed: the `#N ERROR` step, its label
 * `[stage k/n] INSTRUCTION`, and its output lines.
 */
export function locateBuildkitFailure(raw: string, dockerfile: string): FailureLocation {
  const instructions = parseDockerfile(dockerfile)
  const output = stripAnsi(raw)
  const lines = output.split(/\r?\n/)
  const errorLine = lines.find(l => /^#\d+ ERROR:?/.test(l))
  const message =
    errorLine?.replace(/^#\d+ ERROR:?\s*/, '') ??
    lines
      .filter(l => /^(ERROR|error|failed to solve)/.test(l))
      .pop()
      ?.replace(/^ERROR:\s*/, '') ??
    lines.filter(l => l.trim()).pop() ??
    'the build failed'
  const line = explicitLine(output)
  let step: string | undefined
  let label: string | undefined
  if (errorLine) step = errorLine.match(/^#(\d+)/)![1]
  if (step) {
    const header = lines.find(l => l.startsWith(`#${step} [`))
    label = header?.slice(`#${step} `.length)
  } else {
    label = lines
      .find(l => /^ > \[/.test(l))
      ?.replace(/^ > /, '')
      .replace(/:$/, '')
  }
  const stepOutput = step
    ? lines
        .filter(l => new RegExp(`^#${step} \\d+(\\.\\d+)? `).test(l))
        .map(l => l.replace(/^#\d+ \d+(\.\d+)? /, ''))
    : []
  const result: FailureLocation = {
    line,
    output: [...stepOutput, message].slice(-TAIL),
    message
  }
  const m = label?.match(/^\[(?:(\S+) )?\s*(\d+)\/(\d+)\] (.*)$/)
  if (m) {
    const [, name, , , text] = m
    result.instruction = text
    if (line === undefined) {
      let pool = instructions
      if (name) {
        const lower = name.toLowerCase()
        const byName = instructions.filter(i => i.stageName === lower)
        const index = lower.match(/^stage-(\d+)$/)
        pool = byName.length
          ? byName
          : index
            ? instructions.filter(i => i.stage === Number(index[1]))
            : instructions
      }
      result.line = (matchInstruction(text!, pool) ?? matchInstruction(text!, instructions))?.line
    }
  }
  return result
}

/** Where a legacy-builder build failed: the last `Step k/n : INSTRUCTION` and what it printed. */
export function locateLegacyFailure(raw: string, dockerfile: string): FailureLocation {
  const instructions = parseDockerfile(dockerfile)
  const output = stripAnsi(raw)
  const lines = output.split(/\r?\n/)
  let stepAt = -1
  for (let i = 0; i < lines.length; i++) if (/^Step \d+\/\d+ : /.test(lines[i]!)) stepAt = i
  const nonEmpty = lines.filter(l => l.trim())
  const message = nonEmpty.pop() ?? 'the build failed'
  const line = explicitLine(output)
  if (stepAt < 0) return { line, output: [message], message }
  const m = lines[stepAt]!.match(/^Step (\d+)\/\d+ : (.*)$/)!
  const k = Number(m[1])
  const text = m[2]!
  const stepOutput = lines
    .slice(stepAt + 1)
    .filter(l => l.trim() && !/^ ---> /.test(l) && !/^Removing intermediate container/.test(l))
  const byIndex = instructions[k - 1]
  const instruction =
    byIndex && norm(byIndex.text) === norm(text)
      ? byIndex
      : (matchInstruction(text, instructions) ?? byIndex)
  return {
    line: line ?? instruction?.line,
    instruction: text,
    output: stepOutput.slice(-TAIL),
    message
  }
}
