/**
 * The probe and load engine shared by health-gate and resource-profile: targets, rules,
 * an HTTP client with keep-alive pools, checks, the probe loop, the load window and a
 * container helper for gating an image Gantry starts itself.
 */
export * from './checks.js'
export * from './container.js'
export * from './http.js'
export * from './load.js'
export * from './loop.js'
export * from './rules.js'
export * from './targets.js'
