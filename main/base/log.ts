/**
 * The kiosk's log: one JSON object per line. Fields are limited to plain
 * scalars chosen by the caller at each call site, so a command payload,
 * a PIN or a certificate holder's name can only reach the log if someone
 * writes it there by name — reviews look for exactly that.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export type LogSink = (line: string) => void;

export function createLogger(sink: LogSink = (line) => process.stderr.write(`${line}\n`), minimum: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const write =
    (level: LogLevel) =>
    (event: string, fields: LogFields = {}) => {
      if (order.indexOf(level) < order.indexOf(minimum)) return;
      sink(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }));
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** For tests and for code paths that must not log at all. */
export const silentLogger: Logger = createLogger(() => {}, 'error');
