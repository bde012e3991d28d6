/**
 * GitHub Actions expressions (`${{ … }}`), as the workflow interpreter of the example
 * tests needs them: literals, contexts with `.name` and `['name']`, `!`, `<`, `<=`, `>`,
 * `>=`, `==`, `!=`, `&&`, `||`, parentheses, and the functions contains, startsWith,
 * endsWith, format, join, toJSON, fromJSON, success, failure, always, cancelled.
 *
 * The semantics are GitHub's (docs: "Evaluate expressions in workflows and actions"):
 * `&&`/`||` return an operand, not a boolean; `==` compares strings case-insensitively and
 * coerces mismatched types to numbers; a missing property is null; null prints as ''.
 * Anything else (hashFiles, object filters) is an error, never a silent empty string.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value }
export type Contexts = Record<string, Value>

export interface Status {
  success(): boolean
  failure(): boolean
  cancelled(): boolean
}

type Token =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === "'") {
      let s = ''
      i++
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in expression: ${src}`)
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'"
            i += 2
            continue
          }
          i++
          break
        }
        s += src[i++]
      }
      out.push({ t: 'str', v: s })
      continue
    }
    const num = /^(?:0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(src.slice(i))
    if (num && (c !== '-' || !out.length || out[out.length - 1]!.t === 'op')) {
      out.push({ t: 'num', v: Number(num[0]) })
      i += num[0].length
      continue
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))
    if (id) {
      out.push({ t: 'id', v: id[0] })
      i += id[0].length
      continue
    }
    const op = /^(?:==|!=|<=|>=|&&|\|\||[!<>()[\].,*])/.exec(src.slice(i))
    if (op) {
      out.push({ t: 'op', v: op[0] })
      i += op[0].length
      continue
    }
    throw new Error(`unexpected character ${JSON.stringify(c)} in expression: ${src}`)
  }
  return out
}

type Node =
  | { k: 'lit'; v: Value }
  | { k: 'ctx'; name: string }
  | { k: 'member'; obj: Node; key: Node }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'not'; e: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }

class Parser {
  private i = 0
  constructor(
    private readonly toks: Token[],
    private readonly src: string
  ) {}
  private peek(): Token | undefined {
    return this.toks[this.i]
  }
  private isOp(v: string): boolean {
    const t = this.peek()
    return t?.t === 'op' && t.v === v
  }
  private expect(v: string): void {
    if (!this.isOp(v)) throw new Error(`expected ${v} in expression: ${this.src}`)
    this.i++
  }
  parse(): Node {
    const n = this.or()
    if (this.i !== this.toks.length) throw new Error(`unexpected input in expression: ${this.src}`)
    return n
  }
  private binary(next: () => Node, ops: string[]): Node {
    let l = next()
    for (;;) {
      const t = this.peek()
      if (t?.t !== 'op' || !ops.includes(t.v)) return l
      this.i++
      l = { k: 'bin', op: t.v, l, r: next() }
    }
  }
  private or = (): Node => this.binary(this.and, ['||'])
  private and = (): Node => this.binary(this.eq, ['&&'])
  private eq = (): Node => this.binary(this.cmp, ['==', '!='])
  private cmp = (): Node => this.binary(this.unary, ['<', '<=', '>', '>='])
  private unary = (): Node => {
    if (this.isOp('!')) {
      this.i++
      return { k: 'not', e: this.unary() }
    }
    return this.postfix()
  }
  private postfix(): Node {
    let n = this.primary()
    for (;;) {
      if (this.isOp('.')) {
        this.i++
        const t = this.toks[this.i++]
        if (t?.t === 'op' && t.v === '*')
          throw new Error(`object filters (.*) are not supported: ${this.src}`)
        if (t?.t !== 'id') throw new Error(`expected a property name in expression: ${this.src}`)
        n = { k: 'member', obj: n, key: { k: 'lit', v: t.v } }
      } else if (this.isOp('[')) {
        this.i++
        const key = this.or()
        this.expect(']')
        n = { k: 'member', obj: n, key }
      } else return n
    }
  }
  private primary(): Node {
    const t = this.toks[this.i++]
    if (!t) throw new Error(`unexpected end of expression: ${this.src}`)
    if (t.t === 'num' || t.t === 'str') return { k: 'lit', v: t.v }
    if (t.t === 'op' && t.v === '(') {
      const n = this.or()
      this.expect(')')
      return n
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' }
      if (t.v === 'null') return { k: 'lit', v: null }
      if (this.isOp('(')) {
        this.i++
        const args: Node[] = []
        if (!this.isOp(')')) {
          args.push(this.or())
          while (this.isOp(',')) {
            this.i++
            args.push(this.or())
          }
        }
        this.expect(')')
        return { k: 'call', name: t.v.toLowerCase(), args }
      }
      return { k: 'ctx', name: t.v.toLowerCase() }
    }
    throw new Error(`unexpected ${JSON.stringify(t.v)} in expression: ${this.src}`)
  }
}

export function truthy(v: Value): boolean {
  if (v === null || v === false || v === '') return false
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v)
  return true
}

function toNumber(v: Value): number {
  if (v === null) return 0
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number') return v
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v)
  return NaN
}

export function toStr(v: Value): string {
  if (v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v, null, 2)
}

function looseEqual(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase()
  if (typeof a === typeof b && (typeof a !== 'object' || a === null || b === null)) return a === b
  if (typeof a === 'object' && a !== null) return a === b
  if (typeof b === 'object' && b !== null) return false
  return toNumber(a) === toNumber(b)
}

function compare(op: string, a: Value, b: Value): boolean {
  let x: number | string
  let y: number | string
  if (typeof a === 'string' && typeof b === 'string') {
    x = a.toLowerCase()
    y = b.toLowerCase()
  } else {
    x = toNumber(a)
    y = toNumber(b)
  }
  switch (op) {
    case '<':
      return x < y
    case '<=':
      return x <= y
    case '>':
      return x > y
    default:
      return x >= y
  }
}

function property(obj: Value, key: Value): Value {
  if (obj === null || typeof obj !== 'object') return null
  if (Array.isArray(obj)) {
    const n = toNumber(key)
    return Number.isInteger(n) && n >= 0 && n < obj.length ? obj[n]! : null
  }
  const k = toStr(key)
  if (Object.prototype.hasOwnProperty.call(obj, k)) return obj[k]!
  const lower = k.toLowerCase()
  for (const [name, v] of Object.entries(obj)) if (name.toLowerCase() === lower) return v
  return null
}

function format(template: string, args: Value[]): string {
  return template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => {
    if (m === '{{') return '{'
    if (m === '}}') return '}'
    const i = Number(n)
    if (i >= args.length)
      throw new Error(`format(): no argument {${i}} for ${JSON.stringify(template)}`)
    return toStr(args[i]!)
  })
}

function evalNode(n: Node, ctx: Contexts, status: Status | undefined): Value {
  switch (n.k) {
    case 'lit':
      return n.v
    case 'ctx':
      if (!Object.prototype.hasOwnProperty.call(ctx, n.name))
        throw new Error(`unknown context ${JSON.stringify(n.name)}`)
      return ctx[n.name]!
    case 'member':
      return property(evalNode(n.obj, ctx, status), evalNode(n.key, ctx, status))
    case 'not':
      return !truthy(evalNode(n.e, ctx, status))
    case 'bin': {
      const l = evalNode(n.l, ctx, status)
      if (n.op === '&&') return truthy(l) ? evalNode(n.r, ctx, status) : l
      if (n.op === '||') return truthy(l) ? l : evalNode(n.r, ctx, status)
      const r = evalNode(n.r, ctx, status)
      if (n.op === '==') return looseEqual(l, r)
      if (n.op === '!=') return !looseEqual(l, r)
      return compare(n.op, l, r)
    }
    case 'call': {
      const need = (count: number) => {
        if (n.args.length !== count) throw new Error(`${n.name}() takes ${count} argument(s)`)
      }
      const args = () => n.args.map(a => evalNode(a, ctx, status))
      switch (n.name) {
        case 'success':
        case 'failure':
        case 'cancelled':
          need(0)
          if (!status) throw new Error(`${n.name}() is only allowed in if: conditions`)
          return status[n.name]()
        case 'always':
          need(0)
          return true
        case 'contains': {
          need(2)
          const [hay, needle] = args() as [Value, Value]
          if (Array.isArray(hay)) return hay.some(v => looseEqual(v, needle))
          return toStr(hay).toLowerCase().includes(toStr(needle).toLowerCase())
        }
        case 'startswith':
        case 'endswith': {
          need(2)
          const [s, p] = args().map(v => toStr(v).toLowerCase()) as [string, string]
          return n.name === 'startswith' ? s.startsWith(p) : s.endsWith(p)
        }
        case 'format': {
          const [t, ...rest] = args()
          return format(toStr(t ?? null), rest)
        }
        case 'join': {
          const [a, sep] = args()
          const s = sep === undefined ? ',' : toStr(sep)
          return Array.isArray(a) ? a.map(toStr).join(s) : toStr(a ?? null)
        }
        case 'tojson':
          need(1)
          return JSON.stringify(args()[0], null, 2)
        case 'fromjson':
          need(1)
          return JSON.parse(toStr(args()[0]!)) as Value
        default:
          throw new Error(`the workflow interpreter does not support ${n.name}()`)
      }
    }
  }
}

const cache = new Map<string, Node>()

/** The value of one expression (the text inside `${{ }}`). */
export function evaluate(expr: string, ctx: Contexts, status?: Status): Value {
  let node = cache.get(expr)
  if (!node) {
    node = new Parser(tokenize(expr), expr).parse()
    cache.set(expr, node)
  }
  return evalNode(node, ctx, status)
}

/** `text` with every `${{ … }}` replaced by its value as a string. */
export function interpolate(text: string, ctx: Contexts, status?: Status): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, expr: string) =>
    toStr(evaluate(expr.trim(), ctx, status))
  )
}

/**
 * An `if:` condition: with or without `${{ }}`; without a status function it is
 * `success() && (…)`, as GitHub evaluates it.
 */
export function condition(
  text: string | boolean | undefined,
  ctx: Contexts,
  status: Status
): boolean {
  if (text === undefined) return status.success()
  if (typeof text === 'boolean') return text && status.success()
  let expr = text.trim()
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(expr)
  if (whole) expr = whole[1]!.trim()
  else if (expr.includes('${{')) return truthy(interpolate(expr, ctx, status))
  const hasStatus = /\b(success|failure|always|cancelled)\s*\(/i.test(expr)
  const v = truthy(evaluate(expr, ctx, status))
  return hasStatus ? v : status.success() && v
}
