/**
 * Resource profiling: container stats from the Engine API, sampled into a time series,
 * reduced to a profile, turned into recommended requests and limits (Kubernetes, Compose,
 * docker run) and a plot. Everything but engine.ts and sampler.ts is pure.
 */
export * from './cgroup.js'
export * from './engine.js'
export * from './plot.js'
export * from './quantity.js'
export * from './recommend.js'
export * from './sampler.js'
export * from './stats.js'
