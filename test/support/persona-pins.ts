import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PERSONA_DIR = fileURLToPath(new URL('../../main/simulation/personas/', import.meta.url));

/** A persona's PIN values by PIN name, as a resident would type them (test data, never a resident's). */
export function personaPinsOf(persona: string): Record<'authentication' | 'signature' | 'registry', string> {
  const file = JSON.parse(readFileSync(`${PERSONA_DIR}${persona}.json`, 'utf8')) as { pins?: Record<string, { value?: string }> };
  const pins = file.pins ?? {};
  return { authentication: pins.authentication?.value ?? '', signature: pins.signature?.value ?? '', registry: pins.registry?.value ?? '' };
}
