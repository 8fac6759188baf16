import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { permissionProblems, untrustedFileProblems } from '../../main/base/file-trust';
import { scratchForTest } from '../support/scratch';

const KIOSK = { uid: 1000, name: 'kiosk' };

describe('whether a file may be trusted', () => {
  it('trusts a file only its owner can change, owned by the user running the kiosk or by root', () => {
    expect(permissionProblems('/etc/myna/terminal.json', { mode: 0o100644, uid: 1000 }, KIOSK)).toEqual([]);
    expect(permissionProblems('/etc/myna/terminal.json', { mode: 0o100600, uid: 0 }, KIOSK)).toEqual([]);
    expect(permissionProblems('/etc/myna', { mode: 0o40755, uid: 0 }, KIOSK)).toEqual([]);
  });

  it("refuses another user's file, and says who should own it", () => {
    expect(permissionProblems('/etc/myna/terminal.json', { mode: 0o100644, uid: 1001 }, KIOSK)).toEqual([
      {
        path: '/etc/myna/terminal.json',
        wrong: 'owned by uid 1001, not by root or by kiosk (uid 1000), the user reading it',
        fix: 'chown kiosk /etc/myna/terminal.json (as root)',
      },
    ]);
    // The kiosk running as root trusts root's files only.
    expect(permissionProblems('/etc/myna', { mode: 0o40755, uid: 1000 }, { uid: 0, name: 'root' })).toHaveLength(1);
  });

  it('names every problem at once, and quotes a path the shell would split', () => {
    expect(permissionProblems('/srv/my kiosk/key.pem', { mode: 0o100666, uid: 1001 }, KIOSK, { secret: true })).toEqual([
      expect.objectContaining({ wrong: 'writable by its group and others (mode 0666)', fix: "chmod go-w '/srv/my kiosk/key.pem'" }),
      expect.objectContaining({ wrong: 'readable by its group and others (mode 0666)', fix: "chmod go-rwx '/srv/my kiosk/key.pem'" }),
      expect.objectContaining({ wrong: expect.stringMatching(/^owned by uid 1001/) }),
    ]);
  });

  it('checks the file and the folder holding it, and behind a link the file it leads to and its folder', () => {
    const outer = scratchForTest('myna-kiosk-trust-');
    const open = join(outer, 'open');
    const safe = mkdtempSync(join(outer, 'safe-'));
    writeFileSync(join(safe, 'terminal.json'), '{}', { mode: 0o600 });
    expect(untrustedFileProblems(join(safe, 'terminal.json'))).toEqual([]);

    // A link in a safe folder to a file in an open one: the open folder is named.
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'terminal.json'), '{}', { mode: 0o600 });
    symlinkSync(join(open, 'terminal.json'), join(safe, 'linked.json'));
    expect(untrustedFileProblems(join(safe, 'linked.json')).map((problem) => problem.path)).toEqual([open]);
  });

  it('leaves Windows to its installer: mode bits mean nothing there', () => {
    const folder = scratchForTest('myna-kiosk-trust-');
    writeFileSync(join(folder, 'terminal.json'), '{}');
    chmodSync(join(folder, 'terminal.json'), 0o666);
    expect(untrustedFileProblems(join(folder, 'terminal.json'), { platform: 'win32' })).toEqual([]);
    expect(untrustedFileProblems(join(folder, 'terminal.json'), { platform: 'linux' })).toHaveLength(1);
  });

  it('says nothing of a file that is not there: reading it will say that', () => {
    expect(untrustedFileProblems(join(tmpdir(), 'myna-kiosk-no-such-file.json'))).toEqual([]);
  });
});
