import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/base/log';
import { hashPasscode } from '../../main/base/passcode';
import { VirtualReader } from '../../main/card/virtual-reader';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import { parseTerminalConfig } from '../../main/kiosk/config';
import { Kiosk } from '../../main/kiosk/kiosk';
import { openTerminalRecords, type TerminalRecords } from '../../main/store/terminal-records';

/** The gateway is never called here: no card is inserted. */
const NO_GATEWAY = new Proxy({} as IssuanceGateway, {
  get: () => () => {
    throw new Error('no call to the issuing service is expected');
  },
});

const CARD = { tokenLabel: 'JPKIAPICCTOKEN2', authenticationSerial: '1A2B3C4D5E6F708192A3B4C5D6E7F801' };
const OTHER_CARD = { tokenLabel: 'JPKIAPICCTOKEN2', authenticationSerial: '7777777777777777777777777777777A' };
const THIRD_CARD = { tokenLabel: 'JPKIAPICCTOKEN2', authenticationSerial: '0123456789ABCDEF0123456789ABCDEF' };

const opened: Array<{ kiosk: Kiosk; records: TerminalRecords }> = [];
afterEach(async () => {
  for (const { kiosk, records } of opened.splice(0)) {
    await kiosk.stop();
    records.close();
  }
});

describe('a kiosk starting', () => {
  it('writes kiosk-started once, with its profile and the renewals the last run left unfinished', async () => {
    const records = openTerminalRecords({ terminalId: 'counter-01' });
    records.journal.beginRenewal(CARD, 'in-person');
    records.journal.beginRenewal(OTHER_CARD, 'voluntary-proxy');
    records.journal.abandon(records.journal.beginRenewal(THIRD_CARD, 'in-person'), 'card-removed');
    const config = parseTerminalConfig({
      profile: 'counter',
      cardSource: 'virtual',
      staff: { accounts: [{ id: 'clerk', passcodeHash: hashPasscode('2468') }] },
    });
    const kiosk = new Kiosk(config, new VirtualReader(), silentLogger, {
      sessions: { gateway: NO_GATEWAY, journal: records.journal, audit: records.audit },
    });
    opened.push({ kiosk, records });
    const before = records.audit.head().seq;

    kiosk.start();

    const written = records.audit.rowsAfter(before, 100);
    expect(written.map((row) => ({ event: row.event, detail: row.detail }))).toEqual([
      { event: 'kiosk-started', detail: { profile: 'counter', unfinishedRenewals: 2 } },
    ]);
    expect(records.audit.verify()).toMatchObject({ ok: true });
  });
});
