import { describe, expect, it } from 'vitest';
import { VIRTUAL_READER_NAME, VirtualReader } from '../../main/card/virtual-reader';
import { confirmOwnCard, runSession } from '../../main/cli/session';
import type { CardImage } from '../../main/simulation/card/card-image';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import { TEST_CHIP_SERIAL, testCardImage } from './helpers/test-card-image';

// The headless driver's guards: `session --pcsc` checks the card in its reader before the session sends
// anything (a card that is not the one it put there stops the command, no PIN sent, no try spent), and a
// crash drill, which runs no clean-up, is refused where it would leave temporary records or processes.

async function inReader(image: CardImage) {
  const card = new VirtualMyNumberCard(image);
  const reader = new VirtualReader();
  reader.insert(card);
  return { card, connection: await reader.connect(VIRTUAL_READER_NAME, { exclusive: true }) };
}

const tries = (card: VirtualMyNumberCard) => {
  const { jpki, residentRegistry } = card.snapshot();
  return [jpki?.authenticationPin?.triesLeft, jpki?.signaturePassword?.triesLeft, residentRegistry?.pin?.triesLeft];
};

describe('session --pcsc: the card in its reader is its own', () => {
  it('goes on with its own card: the same chip serial', async () => {
    const { connection } = await inReader(testCardImage('my-number'));
    await expect(confirmOwnCard(connection, TEST_CHIP_SERIAL)).resolves.toBeUndefined();
  });

  it('stops at another card, before any PIN: every try left as it was', async () => {
    const { card, connection } = await inReader({ ...testCardImage('my-number'), chipSerial: 'FEDCBA9876543210' });
    const before = tries(card);
    await expect(confirmOwnCard(connection, TEST_CHIP_SERIAL)).rejects.toThrow(/is not the one this session put there/);
    expect(tries(card)).toEqual(before);
  });

  it('takes a card without the JPKI application as its own only when its own card has none', async () => {
    const { connection: noJpki } = await inReader(testCardImage('not-my-number'));
    await expect(confirmOwnCard(noJpki, undefined)).resolves.toBeUndefined();
    const { connection: myNumber } = await inReader(testCardImage('my-number'));
    await expect(confirmOwnCard(myNumber, undefined)).rejects.toThrow(/is not the one this session put there/);
  });
});

describe('session: a crash drill leaves nothing temporary behind', () => {
  const drill = ['--persona', 'standard-in-window', '--fault', 'verified:crash'];

  it('needs the database and the simulation folder the next session resumes from', async () => {
    await expect(runSession(drill)).rejects.toThrow(/--fault <step>:crash needs --db <path> and --sim-dir <dir>/);
    await expect(runSession([...drill, '--db', '/nonexistent/kiosk.sqlite'])).rejects.toThrow(/needs --db <path> and --sim-dir/);
  });

  it('is refused through PC/SC, whose pcscd and card process would outlive it', async () => {
    await expect(runSession([...drill, '--pcsc', '--db', '/nonexistent/k.sqlite', '--sim-dir', '/nonexistent/sim'])).rejects.toThrow(
      /is a drill in process: with --pcsc it would leave its pcscd and card running/,
    );
  });
});
