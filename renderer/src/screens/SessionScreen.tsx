import type { SessionView, ViewState } from '../../../preload/contract';
import { AuthorityCheckScreen, IdentityCheckScreen, ProxyCheckScreen, RouteChoiceScreen, SubstitutesScreen } from './CounterScreens';
import {
  BusyScreen,
  CardAwayScreen,
  CardRenewalScreen,
  ConfirmScreen,
  DoneScreen,
  HandOffScreen,
  LastTryScreen,
  NotYetScreen,
  PinScreen,
  RenewingScreen,
  StatusScreen,
  type SessionScreenProps,
} from './ResidentScreens';

/** Which screen shows a session view: a lookup, not a decision — main has decided where the session stands. */
const SCREENS: Record<SessionView['screen'], (props: SessionScreenProps) => React.ReactNode> = {
  reading: BusyScreen,
  status: StatusScreen,
  'route-choice': RouteChoiceScreen,
  'proxy-check': ProxyCheckScreen,
  'authority-check': AuthorityCheckScreen,
  'identity-check': IdentityCheckScreen,
  'new-pin': PinScreen,
  'new-pin-again': PinScreen,
  'setting-pin': BusyScreen,
  'pin-entry': PinScreen,
  'last-try': LastTryScreen,
  verifying: BusyScreen,
  'checking-substitutes': BusyScreen,
  substitutes: SubstitutesScreen,
  confirm: ConfirmScreen,
  renewing: RenewingScreen,
  'card-away': CardAwayScreen,
  done: DoneScreen,
  'not-yet': NotYetScreen,
  'card-renewal': CardRenewalScreen,
  'hand-off': HandOffScreen,
  ended: BusyScreen,
};

export function SessionScreen({ view, session }: { view: ViewState; session: SessionView }) {
  const Component = SCREENS[session.screen];
  // With a customer display, the resident's own PINs are typed there, not on the staff's screen.
  const keypadHere = !(view.customerDisplay && session.pinTypedBy === 'resident');
  return <Component key={session.screen} view={view} session={session} keypadHere={keypadHere} />;
}
