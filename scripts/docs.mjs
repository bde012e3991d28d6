// Generates the inputs/outputs tables of every action's README from its action.yml, between
//   <!-- BEGIN GENERATED: action.yml -->  and  <!-- END GENERATED: action.yml -->
// `node scripts/docs.mjs` rewrites them; `node scripts/docs.mjs --check` fails when any is stale.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { buildSchema, schemaModule } from './schema.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BEGIN = '<!-- BEGIN GENERATED: action.yml -->'
const END = '<!-- END GENERATED: action.yml -->'
const check = process.argv.includes('--check')

const cell = s =>
  String(s ?? '')
    .trim()
    .replace(/\|/g, '\\|')
    .replace(/\r?\n+/g, ' ')

export function render(action) {
  const lines = []
  const inputs = Object.entries(action.inputs ?? {})
  const outputs = Object.entries(action.outputs ?? {})
  lines.push('### Inputs', '')
  if (inputs.length === 0) lines.push('None.')
  else {
    lines.push('| input | required | default | description |', '| --- | --- | --- | --- |')
    for (const [name, spec] of inputs) {
      const def =
        spec.default === undefined || spec.default === '' ? '' : '`' + cell(spec.default) + '`'
      lines.push(
        `| \`${name}\` | ${spec.required ? 'yes' : 'no'} | ${def} | ${cell(spec.description)} |`
      )
    }
  }
  lines.push('', '### Outputs', '')
  if (outputs.length === 0) lines.push('None.')
  else {
    lines.push('| output | description |', '| --- | --- |')
    for (const [name, spec] of outputs) lines.push(`| \`${name}\` | ${cell(spec.description)} |`)
  }
  return lines.join('\n')
}

const targets = [
  { yml: path.join(root, 'action.yml'), readme: path.join(root, 'docs/pipeline.md') }
]
for (const d of readdirSync(path.join(root, 'actions'))) {
  targets.push({
    yml: path.join(root, 'actions', d, 'action.yml'),
    readme: path.join(root, 'actions', d, 'README.md')
  })
}

let stale = 0
for (const { yml, readme } of targets) {
  if (!existsSync(yml) || !existsSync(readme)) continue
  const text = readFileSync(readme, 'utf8')
  const a = text.indexOf(BEGIN)
  const b = text.indexOf(END)
  const rel = path.relative(root, readme)
  if (a < 0 || b < a) {
    console.log(`${rel}: no generated section (add the ${BEGIN} / ${END} markers)`)
    stale++
    continue
  }
  const next =
    text.slice(0, a + BEGIN.length) +
    '\n\n' +
    render(parseYaml(readFileSync(yml, 'utf8'))) +
    '\n\n' +
    text.slice(b)
  if (next === text) continue
  if (check) {
    console.log(`${rel}: generated section is stale; run npm run docs`)
    stale++
  } else {
    writeFileSync(readme, next)
    console.log(`updated ${rel}`)
  }
}

// The config schema: published JSON and the bundled module, both generated from the action.yml files.
const schema = buildSchema(root)
const generated = [
  {
    file: path.join(root, 'schemas/gantry.schema.json'),
    text: JSON.stringify(schema, null, 2) + '\n'
  },
  { file: path.join(root, 'src/pipeline/schema.generated.ts'), text: schemaModule(schema) }
]
for (const { file, text } of generated) {
  const rel = path.relative(root, file)
  const current = existsSync(file) ? readFileSync(file, 'utf8') : ''
  if (current === text) continue
  if (check) {
    console.log(`${rel} is stale; run npm run docs`)
    stale++
  } else {
    writeFileSync(file, text)
    console.log(`updated ${rel}`)
  }
}
process.exit(check && stale ? 1 : 0)
