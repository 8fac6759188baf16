import { useTranslation } from 'react-i18next';
import type { ViewState } from '../../../preload/contract';
import { LastTryScreen, PinScreen } from './ResidentScreens';
import { Screen } from './Screen';

/**
 * The counter's customer-facing window: it shows the keypad when the
 * resident is to type a PIN, and otherwise only that staff are helping.
 * Staff's screen meanwhile says the resident is typing.
 */
export function CustomerDisplay({ view }: { view: ViewState }) {
  const { t } = useTranslation();
  const session = view.session;
  if (session?.pin && session.pinTypedBy === 'resident' && ['pin-entry', 'new-pin', 'new-pin-again'].includes(session.screen)) {
    return <PinScreen view={view} session={session} keypadHere onCustomerDisplay />;
  }
  // The resident types this PIN, so the resident confirms its last try, here.
  if (session?.pin && session.pinTypedBy === 'resident' && session.screen === 'last-try') {
    return <LastTryScreen view={view} session={session} keypadHere />;
  }
  return (
    <Screen title={t('customer.title')} name="customer-waiting">
      <p className="lead">{t('customer.lead')}</p>
    </Screen>
  );
}
