/**
 * Secret rules: token shapes (matched in config values, history and files) and credential
 * names (environment variables, `.env` lines). A rule says what was found, never the value.
 */
import type { Severity } from '../model.js'

export interface ShapeRule {
  id: string
  title: string
  severity: Severity
  pattern: RegExp
}

/** Known token shapes. Patterns are global so every occurrence can be located. */
export const SHAPE_RULES: ShapeRule[] = [
  {
    id: 'private-key',
    title: 'Private key',
    severity: 'high',
    pattern: /-----BEGIN[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----/g
  },
  {
    id: 'aws-access-key-id',
    title: 'AWS access key ID',
    severity: 'critical',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key',
    severity: 'critical',
    pattern: /\baws_?secret_?access_?key["']?\s*[=:]\s*["']?[A-Za-z0-9/+]{40}\b/gi
  },
  {
    id: 'github-token',
    title: 'GitHub token',
    severity: 'critical',
    pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}\b/g
  },
  {
    id: 'gitlab-token',
    title: 'GitLab personal access token',
    severity: 'critical',
    pattern: /\bglpat-[A-Za-z0-9_-]{20}\b/g
  },
  {
    id: 'npm-token',
    title: 'npm access token',
    severity: 'high',
    pattern: /\bnpm_[A-Za-z0-9]{36}\b/g
  },
  {
    id: 'slack-token',
    title: 'Slack token',
    severity: 'high',
    pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,}\b/g
  },
  {
    id: 'gcp-service-account',
    title: 'Google Cloud service account key',
    severity: 'critical',
    pattern: /"type"\s*:\s*"service_account"[\s\S]{0,4000}?"private_key"\s*:\s*"-----BEGIN/g
  }
]

/** Cheap byte needles: a file without any of them cannot match a shape rule. */
export const NEEDLES = [
  'PRIVATE KEY',
  'AKIA',
  'ASIA',
  'AGPA',
  'AIDA',
  'AROA',
  'ANPA',
  'ANVA',
  'AIPA',
  'ecret',
  'ECRET',
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'github_pat_',
  'glpat-',
  'npm_',
  'xox',
  'service_account'
].map(s => Buffer.from(s, 'latin1'))

/** Names of variables that hold credentials (`DB_PASSWORD`, `API_TOKEN`, `AWS_SECRET_ACCESS_KEY`). */
const CREDENTIAL_NAME =
  /(?:^|_)(?:SECRET|SECRETS|PASSWORD|PASSWD|PASS|PWD|TOKEN|TOKENS|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|SECRET_KEY|CREDENTIAL|CREDENTIALS|AUTH|AUTH_TOKEN|CLIENT_SECRET)(?:_|$)/i

/** Values that are references or placeholders, not credentials. */
function isPlaceholder(value: string): boolean {
  const v = value.trim().replace(/^["']|["']$/g, '')
  if (v.length < 6) return true
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v)) return true // $VAR, ${VAR}
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('file:')) return true // a path to the secret
  if (
    /^(?:changeme|change_me|password|secret|example|placeholder|dummy|none|null|true|false|xxx+|\*+|<[^>]*>)$/i.test(
      v
    )
  )
    return true
  return false
}

/** Whether `NAME=value` looks like a credential assignment. */
export function isCredentialAssignment(name: string, value: string): boolean {
  if (!CREDENTIAL_NAME.test(name)) return false
  if (/_(?:FILE|PATH|DIR|URL|URI|HOST|PORT|USER|USERNAME|NAME|ID|TYPE|LENGTH|MODE)$/i.test(name))
    return false
  return !isPlaceholder(value)
}

/** The first shape rule that matches a value. */
export function shapeOf(value: string): ShapeRule | undefined {
  for (const r of SHAPE_RULES) {
    r.pattern.lastIndex = 0
    if (r.pattern.test(value)) {
      r.pattern.lastIndex = 0
      return r
    }
  }
  return undefined
}
