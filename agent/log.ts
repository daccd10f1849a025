/**
 * The agent's logger: one JSON object per line on stdout, like the server's,
 * so `journalctl -u vigil-agent` and tests can read it alike.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The logger every agent module takes. */
export interface AgentLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** errorText turns anything thrown into a short string for a log field. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** createLogger writes lines at or above `level` through `write` (stdout by default). */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stdout.write(l + '\n')): AgentLogger {
  const at = (lvl: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** silentLogger drops everything (unit tests). */
export const silentLogger: AgentLogger = createLogger('error', () => undefined);
