import { existsSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues, readJsonFile } from './validation';
import { cardSourceSchema, languageSchema, profileSchema, type CardSource, type Profile } from '../preload/contract';

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
  })
  .strict()
  .transform((config) => ({
    ...config,
    // Demo terminals never touch a real card; the others read real cards unless told otherwise.
    cardSource: config.cardSource ?? (config.profile === 'demo' ? 'virtual' : 'pcsc'),
  }))
  .refine((config) => !(config.profile === 'demo' && config.cardSource === 'pcsc'), {
    message: 'the demo profile runs on virtual cards only (cardSource must be "virtual")',
    path: ['cardSource'],
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

/** A missing file means defaults (a fresh lobby terminal); an unreadable or invalid one is an error. */
export function loadTerminalConfig(path: string): TerminalConfig {
  if (!existsSync(path)) return parseTerminalConfig({}, path);
  return parseTerminalConfig(readJsonFile(path, (message) => new ConfigError(message)), path);
}

export type { CardSource, Profile };
