/**
 * `npx myna-kiosk <command>` — operator, trainer and developer tools that run
 * under plain Node next to the kiosk (scripts/myna-kiosk.mjs starts this).
 */
import { runAuditExport, runAuditShip, runAuditVerify } from './audit';
import { runBenchCard } from './bench-card';
import { runBenchRenewal } from './bench-renewal';
import { runBenchService } from './bench-service';
import { runBenchUi } from './bench-ui';
import { runCardStatus } from './card-status';
import { ELIGIBILITY_USAGE, runEligibility } from './eligibility';
import { runPersonas } from './personas';
import { runService } from './service';
import { runSession } from './session';
import { runStaffPasscode } from './staff-passcode';
import { UsageError } from './usage-error';
import { runVirtualCard } from './virtual-card';

const USAGE = `usage: myna-kiosk <command>

  card status [--reader <name>] [--json] [--timeout <ms>] [--short-only]
      What the kiosk sees on the card in a reader. No PIN asked, nothing changed.
  virtual-card --persona <name|path> [--vpcd-port 35963] [--vpcd-host 127.0.0.1]
               [--remove-after <ms>] [--reinsert-after <ms>] [--state <path>]
               [--sim-dir <dir>] [--fault non-atomic-commit] [--json]
      Put a virtual My Number Card into a vpcd reader until interrupted.
  personas [--json]
      List the virtual card personas.
  ${ELIGIBILITY_USAGE}
  session --persona <name|path> --pin auth=<pin> --pin sign=<pw> --pin registry=<pin>
          [--route self|proxy|representative] [--profile lobby|counter|demo] [--pcsc]
          [--fault <step>:<crash|pull> | gateway:<operation>:<kind>] [--new-pin <name>=<pin>] [--json]
          [--db <path>] [--sim-dir <dir>] [--card-state <path>] [--service <https url> --terminal <folder>] [--staff <id>]
      Run one whole session on the virtual card, scripted; exit 0 only when renewed. Its records go to
      a temporary database and simulation folder, removed at the end, unless --db / --sim-dir name them:
      never the terminal's database. With --pcsc, through a pcscd of its own (vpcd readers only, its own
      socket; the card's chip serial checked before any PIN), never the machine's. With --service,
      against that issuing service (started with --card-factory) as the terminal of that folder.
  audit verify [--db <path>] [--service <https url> --terminal <folder> | --config <terminal.json>]
      Check the audit chain and its guards; with a service, also against the copy the service holds.
      Exit 0 only if all is intact, else name the first broken or missing row.
  audit export --from <YYYY-MM-DD> --to <YYYY-MM-DD> --format csv|jsonl [--db <path>] [--out <file>]
               [--service <dashboard https url> --account <id> [--ca <pem>] [--dir <service dir>]]
      Export the audit rows of those Japan dates (the export itself is audited); with --service,
      every terminal's rows as the issuing service holds them (the account's passcode: typed, or stdin).
  audit ship [--db <path>] (--service <https url> --terminal <folder> | --config <terminal.json>)
      Deliver the terminal's audit rows not yet at its issuing service, now; exit 0 when none is left.
  bench card [--json] [--runs 50] [--persona <id>] [--round-trips 2000]
      Measure a full card status on the real PC/SC stack with the virtual card
      (starts its own pcscd with the vpcd driver; needs pcscd not running).
  bench renewal [--json] [--runs 20] [--sessions 1000] [--service <https url> --terminal <folder>]
      Measure a standard renewal in process, through the issuing service (its own on loopback, or a
      separate one with --service) and through PC/SC, and memory over many sessions.
  bench service [--json] [--terminals 50] [--renewals-per-terminal 2] [--service-process]
                [--database <url>] [--persona standard-in-window]
                [--heartbeat-seconds 30] [--day-sessions 100] [--dashboard-runs 5]
      Measure the issuing service under load: terminals renewing at once against one service
      (its own process with --service-process): renewals per minute, the service's time per
      call per route, its CPU per renewal, errors, double issuances and revocations.
      With --service-process also the fleet: the load again with each terminal's reporter
      shipping audit rows and heartbeating (the service's added CPU), then a day of sessions
      per terminal delivered, and the dashboard's first render in Chromium with that day.
  staff-passcode
      Read a new staff passcode (twice, without echo; or the first line of stdin)
      and print its hash for the terminal config's staff.accounts.
  service init [--dir <dir>] [--municipality <name>] [--host <name|address>]...
  service enrol-terminal --id <id> --role lobby|counter [--dir <dir>] [--out <folder>]
  service revoke-terminal --id <id> [--dir <dir>]
  service terminals [--dir <dir>] [--json]
  service openapi
  service dashboard-account --id <account> [--remove] [--dir <dir>]
  service [run] [--dir <dir>] [--host 127.0.0.1] [--port 8443] [--sim-dir <dir>] [--database postgres://...] [--card-factory]
                [--dashboard-host <host>] [--dashboard-port 8444] [--stale-after 90] [--metrics-token-file <file>]
                [--start-at <ISO instant>]
      The municipality's issuing service over mutual TLS, and its terminal PKI (docs/issuing-service.md);
      the terminals' audit rows and heartbeats, the dashboard and /metrics (docs/fleet.md).
      Its records: embedded PGlite databases, or the PostgreSQL server of --database.
  bench ui [--json] [--runs 10]
      Measure the renderer: initial JavaScript (gzipped), navigation to an interactive
      attract screen in Chromium, and the resident's taps for a standard renewal.
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  'card status': runCardStatus,
  'virtual-card': runVirtualCard,
  personas: runPersonas,
  'bench card': runBenchCard,
  'bench renewal': runBenchRenewal,
  'bench service': runBenchService,
  'bench ui': runBenchUi,
  eligibility: runEligibility,
  session: runSession,
  'audit verify': runAuditVerify,
  'audit export': runAuditExport,
  'audit ship': runAuditShip,
  'staff-passcode': runStaffPasscode,
  service: runService,
};

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  for (const [name, run] of Object.entries(COMMANDS)) {
    const words = name.split(' ');
    if (!words.every((word, index) => argv[index] === word)) continue;
    const rest = argv.slice(words.length);
    // Help for one command, for every command alike: its own lines of the usage, and exit 0.
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`usage: myna-kiosk\n\n${usageOf(name)}`);
      return 0;
    }
    return run(rest);
  }
  throw new UsageError(`unknown command "${argv.join(' ')}"`);
}

/** The entries of USAGE for one command: each starts two spaces in with its name, and runs on over its deeper lines. */
function usageOf(name: string): string {
  const entries: string[][] = [];
  for (const line of USAGE.split('\n')) {
    if (/^ {2}\S/.test(line)) entries.push([line]);
    else if (/^ {3,}\S/.test(line)) entries.at(-1)?.push(line);
  }
  const own = entries.filter(([first]) => first === `  ${name}` || first!.startsWith(`  ${name} `));
  return own.map((entry) => `${entry.join('\n')}\n`).join('');
}

// A command whose work ran dry without finishing (a promise nobody will settle) would let Node exit 0 in
// silence; no command may end that way.
process.once('beforeExit', () => {
  process.stderr.write(
    `myna-kiosk: "${process.argv.slice(2).join(' ')}" stopped without finishing: nothing was left to wait for (a bug)\n`,
  );
  process.exit(70);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`myna-kiosk: ${(error as Error).message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
