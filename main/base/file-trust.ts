import { realpathSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';

/**
 * Whether a file a program sets itself up from may be believed. A file that
 * someone else can change is a way in: whoever can write a config that
 * holds accounts, or names the server to talk to, can add an account or
 * name another server. So on POSIX a trusted file, and the folder holding
 * it, are writable by their owner only, and that owner is the user reading
 * it or root (OpenSSH's StrictModes, for one folder). A secret (a private
 * key) is not readable by anyone else either.
 *
 * On Windows the mode bits mean nothing: access is the files' ACLs, which
 * this module does not read. There, keeping the folder writable only by
 * the program's account and administrators is the installer's job.
 */

/** What stat says of a file: its mode bits and its owner. */
export interface FileFacts {
  mode: number;
  uid: number;
}

/** The user this process runs as: the owner a trusted file must have (or root). */
export interface ProcessUser {
  uid: number;
  name: string;
}

export interface TrustProblem {
  /** The file or folder at fault. */
  path: string;
  /** What is wrong with it, e.g. "writable by its group (mode 0664)". */
  wrong: string;
  /** The command that puts it right. */
  fix: string;
}

/** The problems with trusting one file or folder with these facts (none: it may be trusted). */
export function permissionProblems(path: string, facts: FileFacts, user: ProcessUser, options: { secret?: boolean } = {}): TrustProblem[] {
  const mode = `mode ${(facts.mode & 0o7777).toString(8).padStart(4, '0')}`;
  const problems: TrustProblem[] = [];
  const writers = whoAmong(facts.mode, 0o020, 0o002);
  if (writers) problems.push({ path, wrong: `writable by ${writers} (${mode})`, fix: `chmod go-w ${shellWord(path)}` });
  const readers = options.secret ? whoAmong(facts.mode, 0o040, 0o004) : undefined;
  if (readers) problems.push({ path, wrong: `readable by ${readers} (${mode})`, fix: `chmod go-rwx ${shellWord(path)}` });
  if (facts.uid !== user.uid && facts.uid !== 0) {
    problems.push({
      path,
      wrong: `owned by uid ${facts.uid}, not by root or by ${user.name} (uid ${user.uid}), the user reading it`,
      fix: `chown ${shellWord(user.name)} ${shellWord(path)} (as root)`,
    });
  }
  return problems;
}

/**
 * The problems with trusting the file at `path`: the file itself (behind a
 * symbolic link, the file it leads to) and the folder holding it (and the
 * link's folder). A file that is not there has none: reading it will say so.
 */
export function untrustedFileProblems(
  path: string,
  options: { secret?: boolean; platform?: NodeJS.Platform; user?: ProcessUser } = {},
): TrustProblem[] {
  if ((options.platform ?? process.platform) === 'win32') return [];
  let real: string;
  let facts: FileFacts;
  try {
    real = realpathSync(path);
    facts = statSync(real);
  } catch {
    return [];
  }
  const user = options.user ?? processUser();
  const folders = [...new Set([dirname(resolve(path)), dirname(real)])];
  return [
    ...permissionProblems(real, facts, user, { secret: options.secret ?? false }),
    ...folders.flatMap((folder) => permissionProblems(folder, statSync(folder), user)),
  ];
}

function processUser(): ProcessUser {
  const uid = process.getuid?.() ?? -1;
  try {
    return { uid, name: userInfo().username };
  } catch {
    // No name for this uid (a container without a passwd entry): the number serves for chown.
    return { uid, name: String(uid) };
  }
}

/** "its group", "others" or "its group and others", for the bits set among these two. */
function whoAmong(mode: number, groupBit: number, othersBit: number): string | undefined {
  const who = [...(mode & groupBit ? ['its group'] : []), ...(mode & othersBit ? ['others'] : [])];
  return who.length > 0 ? who.join(' and ') : undefined;
}

/** A path as one word of a shell command, quoted only when it must be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
