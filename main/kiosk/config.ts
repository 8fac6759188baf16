import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { describeIssues, readJsonFile } from '../base/validation';
import { cardSourceSchema, languageSchema, profileSchema, type CardSource, type Profile } from '../../preload/contract';
import { PASSCODE_HASH_PATTERN } from '../base/passcode';
import { STAFF_ROLES, staffSchema } from '../domain/audit-record';
import { untrustedFileProblems } from '../base/file-trust';

/**
 * One validated file sets up a terminal: which profile it runs, where its
 * cards come from, and its default language. A municipality's IT department
 * edits this file; a mistake in it must stop the kiosk with a message that
 * names the field, never start a half-configured terminal.
 */
export const terminalConfigSchema = z
  .object({
    profile: profileSchema.default('lobby'),
    cardSource: cardSourceSchema.optional(),
    defaultLanguage: languageSchema.default('ja'),
    /** Lobby: the "need more time?" overlay after this much quiet, then a countdown of at least 20 s to the full reset. */
    idle: z
      .object({
        warnAfterSeconds: z.number().int().min(5).max(600).default(60),
        countdownSeconds: z.number().int().min(20).max(120).default(30),
      })
      .strict()
      .default({ warnAfterSeconds: 60, countdownSeconds: 30 }),
    /** Counter: who may sign in (passcodes as scrypt hashes only) and when an idle staff session locks. */
    staff: z
      .object({
        lockAfterSeconds: z.number().int().min(10).max(3600).default(300),
        accounts: z
          .array(
            z
              .object({
                // The code the audit rows carry (domain/audit-record.ts): never a name, never a 12-digit number.
                id: staffSchema,
                /** A supervisor may also clear an account locked after too many wrong passcodes. */
                role: z.enum(STAFF_ROLES).default('clerk'),
                passcodeHash: z
                  .string()
                  .regex(PASSCODE_HASH_PATTERN, 'make it with "npx myna-kiosk staff-passcode"; a plain passcode is never accepted'),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ lockAfterSeconds: 300, accounts: [] }),
    /** Counter: a second, customer-facing window where the resident types their PINs. */
    customerDisplay: z.boolean().default(false),
    /**
     * The municipality's issuing service, and the files `npx myna-kiosk
     * service enrol-terminal` wrote for this terminal (PEM; relative to the
     * config file's folder).
     */
    service: z
      .object({
        url: z.string().regex(/^https:\/\/[^\s/]+(?:\/\S*)?$/, 'the issuing service is reached over https: "https://host:port"'),
        certificate: z.string().min(1),
        key: z.string().min(1),
        ca: z.string().min(1),
        /** How often the terminal reports its health to the service (docs/fleet.md). */
        heartbeatSeconds: z.number().int().min(1).max(3600).default(30),
      })
      .strict()
      .optional(),
  })
  .strict()
  .transform((config) => ({
    ...config,
    // Demo terminals never touch a real card; the others read real cards unless told otherwise.
    cardSource: config.cardSource ?? (config.profile === 'demo' ? 'virtual' : 'pcsc'),
  }))
  // A resident's real card is renewed only by the municipality's issuing service, never by a simulation.
  .refine((config) => config.cardSource === 'virtual' || config.service !== undefined, {
    message:
      'a terminal on real card readers needs its issuing service: "service": { "url", "certificate", "key", "ca" } ' +
      '(npx myna-kiosk service enrol-terminal writes the files)',
    path: ['service'],
  })
  .refine((config) => !(config.profile === 'demo' && config.cardSource === 'pcsc'), {
    message: 'the demo profile runs on virtual cards only (cardSource must be "virtual")',
    path: ['cardSource'],
  })
  .refine((config) => config.profile !== 'counter' || config.staff.accounts.length > 0, {
    message: 'a counter terminal needs at least one staff account (staff.accounts)',
    path: ['staff', 'accounts'],
  })
  .refine((config) => new Set(config.staff.accounts.map((account) => account.id)).size === config.staff.accounts.length, {
    message: 'two staff accounts have the same id',
    path: ['staff', 'accounts'],
  });

export type TerminalConfig = z.infer<typeof terminalConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseTerminalConfig(input: unknown, source = 'terminal config'): TerminalConfig {
  const parsed = terminalConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(`${source} is invalid — ${describeIssues(parsed.error)}`);
}

/** A missing file means defaults (a fresh lobby terminal); an unreadable, untrusted or invalid one is an error. */
export function loadTerminalConfig(path: string): TerminalConfig {
  if (!existsSync(path)) return parseTerminalConfig({}, path);
  const config = parseTerminalConfig(readTerminalConfigFile(path), path);
  if (!config.service) return config;
  return { ...config, service: serviceFilesRelativeTo(config.service, dirname(path)) };
}

/**
 * A terminal config file's JSON, not yet validated, once the file has
 * proved it can be trusted (main/base/file-trust.ts): it holds the staff
 * accounts and names the issuing service. The web host's `--config` is read
 * here too.
 */
export function readTerminalConfigFile(path: string): unknown {
  refuseUntrustedFile(path, 'the terminal config');
  return readJsonFile(path, (message) => new ConfigError(message));
}

/** Stops the kiosk on a file others could change, naming each problem and its fix. */
function refuseUntrustedFile(path: string, subject: string, options: { secret?: boolean } = {}): void {
  const problems = untrustedFileProblems(path, options);
  if (problems.length === 0) return;
  const described = problems.map(({ path: at, wrong, fix }) => `${at === path ? at : `the folder ${at}`} is ${wrong} — fix: ${fix}`);
  throw new ConfigError(
    `${subject}: ${described.join('; ')}. The kiosk trusts only files that nobody but their owner (its own user or root) can change: ` +
      'whoever can change them can change its staff accounts and its issuing service',
  );
}

/** A config file's service files are named relative to the file's folder. */
export function serviceFilesRelativeTo<T extends { certificate: string; key: string; ca: string }>(service: T, folder: string): T {
  return {
    ...service,
    certificate: resolve(folder, service.certificate),
    key: resolve(folder, service.key),
    ca: resolve(folder, service.ca),
  };
}

/** The files `npx myna-kiosk service enrol-terminal` writes into a terminal's folder. */
export const TERMINAL_FILES = { certificate: 'terminal.pem', key: 'terminal-key.pem', ca: 'ca.pem' } as const;

/** The `service` field for an issuing service's address and a terminal folder written by `service enrol-terminal`. */
export function serviceOfTerminalFolder(url: string, folder: string): NonNullable<TerminalConfig['service']> {
  return {
    url,
    heartbeatSeconds: 30,
    certificate: resolve(folder, TERMINAL_FILES.certificate),
    key: resolve(folder, TERMINAL_FILES.key),
    ca: resolve(folder, TERMINAL_FILES.ca),
  };
}

/**
 * The address and the terminal's TLS files for the issuing service's
 * client; a file that cannot be read, or that others could change (or read,
 * for the key), is named.
 */
export function readServiceConnection(service: NonNullable<TerminalConfig['service']>): {
  url: string;
  tls: { certificate: string; key: string; ca: string };
} {
  const read = (field: 'certificate' | 'key' | 'ca') => {
    const path = service[field];
    refuseUntrustedFile(path, `service.${field}`, { secret: field === 'key' });
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`service.${field}: ${path} cannot be read: ${(error as Error).message}`);
    }
    if (!text.includes('-----BEGIN ')) throw new ConfigError(`service.${field}: ${path} is not a PEM file`);
    return text;
  };
  return { url: service.url, tls: { certificate: read('certificate'), key: read('key'), ca: read('ca') } };
}

export type { CardSource, Profile };

/** SHA-256 of the config as the kiosk understood it: terminals with the same settings show the same fingerprint. */
export function configFingerprint(config: TerminalConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}
