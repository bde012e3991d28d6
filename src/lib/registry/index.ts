/** The OCI registry client shared by every stage: see client.ts, copy.ts, credentials.ts. */
export * from './auth.js'
export * from './client.js'
export * from './copy.js'
export * from './credentials.js'
export * from './errors.js'
export * from './media.js'
export * from './retry.js'
