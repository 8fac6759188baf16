import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/**
 * The one way a file or message that failed its zod schema is described:
 * every bad field by its path, so the person fixing it knows where to look.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Reads and parses a JSON file; an unreadable or broken file becomes `fail`'s error, naming the path. */
export function readJsonFile(path: string, fail: (message: string) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(`${path} cannot be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
