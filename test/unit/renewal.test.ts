import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReaderError } from '../../main/card/reader-errors';
import { runRenewal } from '../../main/session/renewal';
import { renewalRig, type Rig } from '../support/renewal-rig';

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig.close());
afterEach(() => {
  vi.restoreAllMocks();
});

/** A renewal's journal rows and its renewal-step audit rows, each as `step state`: the two must match row for row. */
function journalAndAudit(renewalId: string): { journal: string[]; audit: string[] } {
  return {
    journal: rig.journal.get(renewalId)!.steps.map((row) => `${row.step} ${row.state}`),
    audit: rig.audit
      .rowsAfter(0, 100_000)
      .filter((row) => row.event === 'renewal-step' && row.renewalId === renewalId)
      .map((row) => `${row.detail.step} ${row.detail.state}`),
  };
}

describe('a renewal on the card', () => {
  it('renews both certificates, revokes the old ones, and journals every step', async () => {
    const card = await rig.card('standard-in-window');
    const { client } = await card.client();
    await card.verifyPins(client);
    const renewalId = rig.journal.beginRenewal(card.identity, 'in-person');
    const oldAuthentication = await client.readCertificate('authentication');

    const outcome = await runRenewal(card.context(client), {
      renewalId,
      oldAuthenticationSerial: card.identity.authenticationSerial,
      route: 'in-person' as const,
      signature: true,
    });

    expect(outcome.authentication.serialNumber).not.toBe(card.identity.authenticationSerial);
    expect(outcome.signature?.serialNumber).not.toBe(card.identity.signatureSerial);
    expect(card.heldSet()).toBe('new');
    expect(new X509Certificate(Buffer.from((await client.readCertificate('authentication'))!)).serialNumber.toUpperCase()).toBe(
      outcome.authentication.serialNumber,
    );
    expect(await rig.jlis.certificateStatus(oldAuthentication!)).toBe('revoked');
    expect(rig.journal.get(renewalId)?.state).toBe('done');
    expect(rig.audit.verify()).toMatchObject({ ok: true });
    // Inside the window the new certificate runs to the 6th birthday: well past the old expiry.
    expect(new Date(outcome.authentication.notAfter).getTime()).toBeGreaterThan(
      new Date(new X509Certificate(Buffer.from(oldAuthentication!)).validTo).getTime(),
    );
  }, 90_000);

  it('renews the authentication certificate only for an under-15 holder', async () => {
    const card = await rig.card('under-15-no-signature');
    const { client } = await card.client();
    await card.verifyPins(client);
    const renewalId = rig.journal.beginRenewal(card.identity, 'in-person');
    const outcome = await runRenewal(card.context(client), {
      renewalId,
      oldAuthenticationSerial: card.identity.authenticationSerial,
      route: 'in-person' as const,
      signature: false,
    });
    expect(outcome.signature).toBeUndefined();
    expect(card.heldSet()).toBe('new');
  }, 90_000);

  it('sets new PINs when the resident chose them', async () => {
    const card = await rig.card('standard-in-window');
    const { client } = await card.client();
    await card.verifyPins(client);
    const renewalId = rig.journal.beginRenewal(card.identity, 'in-person');
    await runRenewal(card.context(client), {
      renewalId,
      oldAuthenticationSerial: card.identity.authenticationSerial,
      route: 'in-person' as const,
      signature: true,
      newPins: { authentication: '7531', signature: 'NEWPASS9' },
    });
    card.card.powerDown();
    const again = (await card.client()).client;
    expect(await again.verify('authentication', '7531')).toEqual({ result: 'verified' });
    expect(await again.verify('signature', 'NEWPASS9')).toEqual({ result: 'verified' });
  }, 90_000);
});

describe('the journal and the audit chain of a renewal', () => {
  it('never hold a step without its row: a row that cannot be written stops the step before it is attempted', async () => {
    const card = await rig.card('standard-in-window');
    const first = await card.client();
    await card.verifyPins(first.client);
    const renewalId = rig.journal.beginRenewal(card.identity, 'in-person');
    const plan = { renewalId, oldAuthenticationSerial: card.identity.authenticationSerial, signature: true, route: 'in-person' as const };
    const append = rig.audit.append.bind(rig.audit);
    vi.spyOn(rig.audit, 'append').mockImplementation((event) => {
      if (event.event === 'renewal-step' && event.detail.step === 'certificates-written' && event.detail.state === 'started')
        throw new Error('disk full');
      return append(event);
    });
    await expect(runRenewal(card.context(first.client), plan)).rejects.toThrow('disk full');
    vi.mocked(rig.audit.append).mockRestore();
    let rows = journalAndAudit(renewalId);
    expect(rows.journal.at(-1)).toBe('certificates-issued finished');
    expect(rows.audit).toEqual(rows.journal);
    // Nothing was written to the card: it still holds its old set.
    expect(card.heldSet()).toBe('old');

    // The next session resumes it; the steps it finds done are journalled as observed, each with its row.
    card.card.powerDown();
    const again = await card.client();
    await card.verifyPins(again.client);
    const outcome = await runRenewal(card.context(again.client), plan);
    rows = journalAndAudit(outcome.renewalId);
    expect(rows.journal.at(-1)).toBe('done finished');
    expect(rows.audit).toEqual(rows.journal);
    // The staged keys went with the power: the issued set was voided and the renewal went on under a new id.
    expect(outcome.renewalId).not.toBe(renewalId);
    rows = journalAndAudit(renewalId);
    expect(rows.audit).toEqual(rows.journal);
    const abandoned = rig.audit.rowsAfter(0, 100_000).filter((row) => row.event === 'renewal-abandoned' && row.renewalId === renewalId);
    expect(abandoned.map((row) => row.detail)).toEqual([{ reason: 'rolled-back', lastStep: 'keys-generated' }]);
    expect(rig.audit.verify()).toMatchObject({ ok: true });
  }, 90_000);
});

describe('a card pulled before each APDU of the renewal', () => {
  it('always holds a complete set, and resumes to the new set when it returns', async () => {
    // Certificates differ in size by a byte or two, so the APDU count is found, not fixed:
    // pull before APDU 0, 1, 2, … until a renewal finishes before the pull comes.
    let pulls = 0;
    for (let pull = 0; ; pull++) {
      const card = await rig.card('standard-in-window');
      const first = await card.client();
      await card.verifyPins(first.client);
      const renewalId = rig.journal.beginRenewal(card.identity, 'in-person');
      const plan = { renewalId, oldAuthenticationSerial: card.identity.authenticationSerial, signature: true, route: 'in-person' as const };
      const pulledAt = first.apdus() + pull;
      const pulled = await card.client({ pullBefore: pulledAt });
      const failure = await runRenewal(card.context(pulled.client), plan).then(
        () => 'finished' as const,
        (error: unknown) => error,
      );
      if (failure === 'finished') break;
      pulls++;
      expect(failure, `pulled before APDU ${pull}`).toBeInstanceOf(ReaderError);
      expect(card.heldSet(), `pulled before APDU ${pull}`).not.toBe('mixed');

      // The card comes back: the same card finds its unfinished renewal and completes it.
      const unfinished = rig.journal.unfinishedFor(card.identity);
      expect(unfinished?.renewalId, `pulled before APDU ${pull}`).toBe(renewalId);
      const back = await card.client();
      await card.verifyPins(back.client);
      const outcome = await runRenewal(card.context(back.client), plan);
      expect(card.heldSet(), `resumed after a pull before APDU ${pull}`).toBe('new');
      expect(rig.journal.get(outcome.renewalId)?.state).toBe('done');
      // The next session on this card reads cleanly.
      expect((await (await card.client()).client.readStatus()).authenticationCertificate?.serialNumber).toBe(
        outcome.authentication.serialNumber,
      );
    }
    expect(pulls).toBeGreaterThan(20);
    expect([...(await rig.issuesPerRenewal()).values()].every((count) => count === 1)).toBe(true);
    expect(rig.audit.verify()).toMatchObject({ ok: true });
  }, 300_000);
});
