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
    const { code, printed } = await run('Counter-77-blue-kite\n');
    expect(code).toBe(0);
    expect(printed).not.toContain('Counter-77-blue-kite');
    expect(await passcodeMatches('Counter-77-blue-kite', printed.trim())).toBe(true);
  });

  it('refuses a passcode that is short, has a space, or is easy to guess, and prints nothing', async () => {
    await expect(run('Kite-77\n')).rejects.toThrow(/12 to 64 characters/);
    await expect(run('with a space in it\n')).rejects.toThrow(/without spaces/);
    for (const guessable of ['password1234', 'qwertyuiop12', 'aaaaaaaaaaaa', '123456789012'])
      await expect(run(`${guessable}\n`), guessable).rejects.toThrow(/too easy to guess/);
  });
});
