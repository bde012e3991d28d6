/**
 * What domain code (src/lib) may say. Stages pass an implementation backed by
 * @actions/core; tests pass a recording one. Domain code never imports @actions/core.
 */
export interface AnnotationProperties {
  title?: string
  file?: string
  startLine?: number
  endLine?: number
  startColumn?: number
  endColumn?: number
}

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warning(message: string, properties?: AnnotationProperties): void
  error(message: string, properties?: AnnotationProperties): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warning' | 'error' | 'group'
  message: string
  properties?: AnnotationProperties
}

/** A Logger that keeps what it is told, for tests and for summaries. */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[] = []
  debug(message: string): void {
    this.records.push({ level: 'debug', message })
  }
  info(message: string): void {
    this.records.push({ level: 'info', message })
  }
  warning(message: string, properties?: AnnotationProperties): void {
    this.records.push({ level: 'warning', message, properties })
  }
  error(message: string, properties?: AnnotationProperties): void {
    this.records.push({ level: 'error', message, properties })
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.records.push({ level: 'group', message: name })
    return fn()
  }
  messages(level?: LogRecord['level']): string[] {
    return this.records.filter(r => !level || r.level === level).map(r => r.message)
  }
}

/** A Logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  group: async (_name, fn) => fn()
}
