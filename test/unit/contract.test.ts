import { describe, expect, it } from 'vitest';
import { commandSchema, eventSchema, parseCommand, sessionViewSchema, viewStateSchema } from '../../preload/contract';

describe('the bridge contract', () => {
  it('accepts each command in its exact shape', () => {
    expect(parseCommand({ type: 'VIEW_READY' })).toEqual({ ok: true, command: { type: 'VIEW_READY' } });
    expect(parseCommand({ type: 'SET_LANGUAGE', language: 'en' })).toEqual({ ok: true, command: { type: 'SET_LANGUAGE', language: 'en' } });
  });

  it.each([
    null,
    undefined,
    42,
    'VIEW_READY',
    [],
    {},
    { type: 'DELETE_AUDIT' },
    { type: 'view_ready' },
    { type: { toString: 'VIEW_READY' } },
  ])('calls %j an unknown command', (input) => {
    expect(parseCommand(input)).toEqual({ ok: false, error: 'unknown-command' });
  });

  it.each([
    { type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: '1234 ' } },
    { type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: 'A'.repeat(17) } },
    { type: 'SESSION', intent: { type: 'SUBMIT_PIN' } },
    { type: 'SESSION', intent: { type: 'SHUTDOWN' } },
    { type: 'DEMO_INSERT_CARD', persona: '../../etc/passwd' },
    { type: 'SET_LANGUAGE' },
    { type: 'SET_LANGUAGE', language: 'fr' },
    { type: 'SET_LANGUAGE', language: 'en', pin: '1234' },
    { type: 'VIEW_READY', payload: 'x' },
  ])('calls %j a malformed known command', (input) => {
    expect(parseCommand(input)).toEqual({ ok: false, error: 'invalid-command' });
  });

  it('keeps a closed set of commands', () => {
    expect(commandSchema.options.map((option) => option.shape.type.value).sort()).toEqual([
      'DEMO_FAULT',
      'DEMO_IDLE_RESET',
      'DEMO_INSERT_CARD',
      'DEMO_REMOVE_CARD',
      'DEMO_RESET',
      'PRINT_SLIP',
      'SESSION',
      'SET_LANGUAGE',
      'SPEAK',
      'STAFF_CLEAR_LOCKOUT',
      'STAFF_SIGN_IN',
      'STAFF_SIGN_OUT',
      'STILL_HERE',
      'VIEW_READY',
    ]);
  });

  it('describes view-state without any field that could carry personal data', () => {
    expect(Object.keys(viewStateSchema.shape).sort()).toEqual([
      'cardSource',
      'customerDisplay',
      'demo',
      'idle',
      'language',
      'printer',
      'profile',
      'reader',
      'screen',
      'session',
      'staff',
      'takeCard',
      'today',
    ]);
    // The session part is the strict SessionView: dates, counts and codes — and, at the counter only, the substituted name and address.
    expect(Object.keys(sessionViewSchema.shape).sort()).toEqual([
      'card',
      'eligibility',
      'ended',
      'handOff',
      'lockedPins',
      'pin',
      'pinTypedBy',
      'progress',
      'reference',
      'renewed',
      'resumed',
      'route',
      'screen',
      'substitutes',
    ]);
  });

  it('validates events main sends', () => {
    expect(eventSchema.safeParse({ type: 'reader', status: { state: 'no_reader' } }).success).toBe(true);
    expect(eventSchema.safeParse({ type: 'reader', status: { state: 'card_present' } }).success).toBe(false);
  });
});
