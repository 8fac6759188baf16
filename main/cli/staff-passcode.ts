import { createInterface } from 'node:readline';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { hashPasscode, passcodeProblem } from '../base/passcode';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk staff-passcode`: reads a new staff passcode (typed twice,
 * without echo, on a terminal; the first line of stdin otherwise) and prints
 * the hash to put in the terminal config's `staff.accounts`. The passcode
 * itself is never printed or stored.
 */
export async function runStaffPasscode(argv: string[], io: PasscodeIo = STANDARD_IO): Promise<number> {
  parseArgs({ args: argv, options: {}, strict: true });
  io.output.write(`${hashPasscode(await readNewPasscode(io, 'staff passcode'))}\n`);
  return 0;
}

export interface PasscodeIo {
  input: Readable & { isTTY?: boolean };
  output: Writable;
  prompt: Writable;
}
export const STANDARD_IO: PasscodeIo = { input: process.stdin, output: process.stdout, prompt: process.stderr };

/** A new passcode: typed twice without echo on a terminal, else the first line of stdin; held to the passcode policy (base/passcode.ts). */
export async function readNewPasscode(io: PasscodeIo, what: string, account?: string): Promise<string> {
  const passcode = io.input.isTTY ? await typedTwice(io.input, io.prompt, what) : await firstLine(io.input);
  const problem = passcodeProblem(passcode, account);
  // Not a usage error: the command was right, the passcode was not (so no usage text after the reason).
  if (problem) throw new Error(`${problem} (nothing was written)`);
  return passcode;
}

export async function firstLine(input: Readable): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new UsageError('no passcode on standard input');
}

async function typedTwice(input: Readable, prompt: Writable, what: string): Promise<string> {
  const first = await typedHidden(input, prompt, `New ${what}: `);
  const second = await typedHidden(input, prompt, 'Again: ');
  if (first !== second) throw new UsageError('the two passcodes differ');
  return first;
}

/** Reads one line from a terminal without echoing it. */
export function typedHidden(input: Readable, prompt: Writable, question: string): Promise<string> {
  return new Promise((resolve) => {
    prompt.write(question);
    // In terminal mode readline echoes to its output; an output nobody reads means nothing is echoed.
    const lines = createInterface({ input, output: new PassThrough(), terminal: true });
    lines.question('', (answer) => {
      lines.close();
      prompt.write('\n');
      resolve(answer);
    });
  });
}
