import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runStaffPasscode } from '../../main/cli/staff-passcode';
import { passcodeMatches } from '../../main/base/passcode';

async function run(stdin: string) {
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const code = await runStaffPasscode([], { input: Readable.from([stdin]), output, prompt: new PassThrough() });
  return { code, printed };
}

describe('myna-kiosk staff-passcode', () => {
  it('prints a hash of the passcode read from stdin, never the passcode', async () => {
    const { code, printed } = await run('Counter-77\n');
    expect(code).toBe(0);
    expect(printed).not.toContain('Counter-77');
    expect(passcodeMatches('Counter-77', printed.trim())).toBe(true);
  });

  it('refuses a passcode that is too short or has a space', async () => {
    await expect(run('12345\n')).rejects.toThrow(/6 to 64 printable ASCII characters/);
    await expect(run('with space\n')).rejects.toThrow(/without spaces/);
  });
});
