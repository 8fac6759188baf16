import { HAND_OFF_CODES, SESSION_SCREENS, viewStateSchema, type SessionView, type ViewState } from '../../preload/contract';

/**
 * Every screen the kiosk can show, as the snapshot main would send for it:
 * the screen matrix (screen-matrix.spec.ts) renders each one through a
 * stand-in bridge, so a screen is reached in one step instead of by driving
 * a card session to it. Each snapshot is checked against the bridge
 * contract's schema, so none can show what main never sends; the flows that
 * really lead to these screens are driven in resident, counter and demo specs.
 */
export interface GalleryScreen {
  /** Unique, used in artifact names: `<profile>-<screen>[-<variant>]`. */
  id: string;
  /** The counter's customer-facing window, or the kiosk's own. */
  display: 'main' | 'customer';
  state: ViewState;
}

const REFERENCE = 'K7QM-4XRT';

const PERSONAS: NonNullable<ViewState['demo']>['personas'] = [
  {
    id: 'standard-renewal',
    title: { ja: '標準の更新（成人）', en: 'Standard renewal (adult)' },
    description: {
      ja: '電子証明書の有効期限が3か月以内。3つの暗証番号はすべて正しく、試行回数も満杯。',
      en: 'Certificates expire within three months; all three PINs correct, every try left.',
    },
  },
  {
    id: 'pin-one-try-left',
    title: { ja: '暗証番号 残り1回', en: 'One PIN try left' },
    description: { ja: '利用者証明用暗証番号の残り回数が1回。', en: 'The user-authentication PIN has one try left.' },
  },
];

function base(profile: ViewState['profile']): ViewState {
  const state: ViewState = {
    profile,
    cardSource: profile === 'demo' ? 'virtual' : 'pcsc',
    screen: 'attract',
    language: 'ja',
    reader: { state: 'waiting_for_card', readers: ['SONY FeliCa RC-S300'] },
    takeCard: false,
    customerDisplay: profile === 'counter',
    printer: profile === 'demo' ? 'browser' : 'kiosk',
    today: '2026-12-07',
  };
  if (profile === 'counter') state.staff = { state: 'signed-in', staffId: 'tanaka', role: 'clerk' };
  if (profile === 'demo') {
    state.demo = {
      personas: PERSONAS,
      persona: 'standard-renewal',
      faults: { reader: 'plugged-in', service: 'up', cardPulled: false },
      idleReset: true,
    };
  }
  return state;
}

const CARD: NonNullable<SessionView['card']> = { kind: 'my-number', authenticationExpires: '2027-01-20', signatureCertificate: true };
const RENEW: NonNullable<SessionView['eligibility']> = {
  outcome: 'renew',
  newExpiry: { authentication: '2031-12-20', signature: '2031-12-20' },
  reasons: [],
};

function session(screen: SessionView['screen'], extra: Partial<SessionView> = {}): SessionView {
  return { screen, reference: REFERENCE, route: 'in-person', card: CARD, eligibility: RENEW, ...extra };
}

function inSession(profile: ViewState['profile'], view: SessionView, extra: Partial<ViewState> = {}): ViewState {
  return {
    ...base(profile),
    screen: 'session',
    reader: { state: 'card_present', reader: 'SONY FeliCa RC-S300', readers: ['SONY FeliCa RC-S300'] },
    session: view,
    ...extra,
  };
}

/** The resident's screens, the same in every profile that shows them. */
function residentScreens(profile: ViewState['profile']): GalleryScreen[] {
  const screens: Array<[string, SessionView]> = [
    ['reading', session('reading', { card: undefined, eligibility: undefined })],
    ['status', session('status')],
    [
      'status-service-closed',
      session('status', { eligibility: { outcome: 'hand-off', reasons: ['service-hours'], newExpiry: RENEW.newExpiry } }),
    ],
    ['pin-entry-authentication', session('pin-entry', { pin: { name: 'authentication', triesLeft: 3, maxTries: 3 } })],
    ['pin-entry-wrong', session('pin-entry', { pin: { name: 'authentication', triesLeft: 2, maxTries: 3, lastAttempt: 'wrong' } })],
    ['pin-entry-signature', session('pin-entry', { pin: { name: 'signature', triesLeft: 5, maxTries: 5 } })],
    ['pin-entry-registry', session('pin-entry', { pin: { name: 'registry', triesLeft: 3, maxTries: 3 } })],
    ['last-try', session('last-try', { pin: { name: 'authentication', triesLeft: 1, maxTries: 3 } })],
    ['verifying', session('verifying', { pin: { name: 'authentication', triesLeft: 3, maxTries: 3 } })],
    ['confirm', session('confirm')],
    ['renewing', session('renewing', { progress: { step: 'issuing' } })],
    ['card-away', session('card-away')],
    ['done', session('done', { renewed: { authenticationExpires: '2031-12-20', signatureExpires: '2031-12-20' }, ended: 'renewed' })],
    [
      'not-yet',
      session('not-yet', {
        card: { ...CARD, authenticationExpires: '2029-05-20' },
        eligibility: { outcome: 'not-yet', opensOn: '2029-02-20', reasons: ['too-early'] },
        ended: 'not-eligible',
      }),
    ],
    [
      'card-renewal',
      session('card-renewal', {
        eligibility: { outcome: 'card-renewal-needed', cardExpires: '2027-03-01', reasons: ['card-expires-first'] },
        ended: 'not-eligible',
      }),
    ],
    ['ended', session('ended', { ended: 'cancelled' })],
    ...HAND_OFF_CODES.map((code): [string, SessionView] => [
      `hand-off-${code}`,
      session('hand-off', { handOff: code, ended: 'handed-off' }),
    ]),
  ];
  return screens.map(([name, view]) => ({ id: `${profile}-${name}`, display: 'main', state: inSession(profile, view) }));
}

function lobbyExtras(): GalleryScreen[] {
  return [
    { id: 'lobby-attract', display: 'main', state: base('lobby') },
    { id: 'lobby-attract-take-card', display: 'main', state: { ...base('lobby'), takeCard: true } },
    {
      id: 'lobby-attract-unavailable',
      display: 'main',
      state: { ...base('lobby'), reader: { state: 'unavailable', reason: 'service-not-running' } },
    },
    { id: 'lobby-attract-no-reader', display: 'main', state: { ...base('lobby'), reader: { state: 'no_reader' } } },
    {
      id: 'lobby-idle',
      display: 'main',
      state: inSession('lobby', session('pin-entry', { pin: { name: 'authentication', triesLeft: 3, maxTries: 3 } }), {
        idle: { secondsLeft: 20 },
      }),
    },
  ];
}

function counterScreens(): GalleryScreen[] {
  const signedOut = (staff: NonNullable<ViewState['staff']>): ViewState => ({ ...base('counter'), staff });
  const counter = (name: string, view: SessionView, display: GalleryScreen['display'] = 'main'): GalleryScreen => ({
    id: `counter-${name}${display === 'customer' ? '-customer' : ''}`,
    display,
    state: inSession('counter', view),
  });
  const residentPin = session('pin-entry', { pin: { name: 'authentication', triesLeft: 3, maxTries: 3 }, pinTypedBy: 'resident' });
  const residentLastTry = session('last-try', { pin: { name: 'authentication', triesLeft: 1, maxTries: 3 }, pinTypedBy: 'resident' });
  return [
    { id: 'counter-staff-sign-in', display: 'main', state: signedOut({ state: 'signed-out' }) },
    {
      id: 'counter-staff-sign-in-refused',
      display: 'main',
      state: signedOut({ state: 'signed-out', staffId: 'tanaka', refusal: 'too-many-attempts', retryInSeconds: 30 }),
    },
    { id: 'counter-staff-locked', display: 'main', state: signedOut({ state: 'locked', staffId: 'tanaka', role: 'clerk' }) },
    {
      id: 'counter-attract-supervisor',
      display: 'main',
      state: { ...base('counter'), staff: { state: 'signed-in', staffId: 'suzuki', role: 'supervisor', lockedAccounts: ['tanaka'] } },
    },
    { id: 'counter-customer-waiting', display: 'customer', state: base('counter') },
    counter('route-choice', session('route-choice')),
    counter('proxy-check', session('proxy-check', { route: 'voluntary-proxy' })),
    counter('authority-check', session('authority-check', { route: 'legal-representative' })),
    counter('identity-check', session('identity-check')),
    counter('new-pin', session('new-pin', { pin: { name: 'authentication', maxTries: 3 }, pinTypedBy: 'resident' }), 'customer'),
    counter(
      'new-pin-again',
      session('new-pin-again', { pin: { name: 'authentication', maxTries: 3 }, pinTypedBy: 'resident' }),
      'customer',
    ),
    counter('setting-pin', session('setting-pin', { pin: { name: 'authentication', maxTries: 3 } })),
    counter('pin-entry-staff-view', residentPin),
    counter('pin-entry', residentPin, 'customer'),
    counter(
      'pin-entry-proxy',
      session('pin-entry', { route: 'voluntary-proxy', pin: { name: 'signature', triesLeft: 5, maxTries: 5 }, pinTypedBy: 'staff' }),
    ),
    counter('last-try-staff-view', residentLastTry),
    counter('last-try', residentLastTry, 'customer'),
    counter('checking-substitutes', session('checking-substitutes')),
    counter(
      'substitutes',
      session('substitutes', { substitutes: { name: '渡邉　〓子', address: '東京都千代田区霞が関二丁目1番2号　〓〓ハイツ101' } }),
    ),
    counter(
      'done',
      session('done', { renewed: { authenticationExpires: '2031-12-20', signatureExpires: '2031-12-20' }, ended: 'renewed' }),
    ),
    counter('hand-off', session('hand-off', { handOff: 'identity-not-confirmed', ended: 'handed-off' })),
  ];
}

function demoScreens(): GalleryScreen[] {
  const demo = (name: string, state: ViewState): GalleryScreen => ({ id: `demo-${name}`, display: 'main', state });
  const pulled = { ...base('demo').demo!, faults: { reader: 'plugged-in' as const, service: 'up' as const, cardPulled: true } };
  return [
    demo('attract', { ...base('demo'), demo: { ...base('demo').demo!, persona: undefined } }),
    demo('card-away', inSession('demo', session('card-away'), { demo: pulled })),
    demo('pin-entry', inSession('demo', session('pin-entry', { pin: { name: 'signature', triesLeft: 5, maxTries: 5 } }))),
    demo('done', inSession('demo', session('done', { renewed: { authenticationExpires: '2031-12-20' }, ended: 'renewed' }))),
  ];
}

export function galleryScreens(): GalleryScreen[] {
  const screens = [...lobbyExtras(), ...residentScreens('lobby'), ...counterScreens(), ...demoScreens()];
  for (const screen of screens) viewStateSchema.parse(screen.state);
  return screens;
}

/** The session screens no gallery entry shows: the matrix fails while any is left out. */
export function sessionScreensMissing(screens: readonly GalleryScreen[]): string[] {
  const shown = new Set(screens.flatMap((screen) => (screen.state.session ? [screen.state.session.screen] : [])));
  return SESSION_SCREENS.filter((screen) => !shown.has(screen));
}
