import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SignInResponse } from '../../../preload/dashboard-contract';
import { signIn, type Problem } from '../api';

/** Why the form is showing, or why the last try did not get through. */
export type SignInNotice = Exclude<Problem, 'not-found'> | 'missing' | 'goodbye';

interface SignInProps {
  /** What sent the page here: an expired session, an unreachable server, the user's own sign-out. */
  notice?: SignInNotice;
  onSignedIn: (response: SignInResponse) => void;
}

const MAX_ACCOUNT = 64;
const MAX_PASSCODE = 256;

/**
 * The sign-in form. The passcode is never React state: it stays in the
 * password field until it is sent, the field is emptied on every try, and it
 * goes nowhere but the one POST (no store, no storage, no URL, no log).
 */
export function SignIn({ notice, onSignedIn }: SignInProps) {
  const { t } = useTranslation();
  const accountField = useId();
  const passcodeField = useId();
  const problemId = useId();
  const headingId = useId();
  const accountInput = useRef<HTMLInputElement>(null);
  const passcodeInput = useRef<HTMLInputElement>(null);
  const [account, setAccount] = useState('');
  const [problem, setProblem] = useState<SignInNotice | undefined>(notice);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    accountInput.current?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const passcode = passcodeInput.current?.value ?? '';
    if (passcodeInput.current) passcodeInput.current.value = '';
    if (account.trim() === '' || passcode === '') {
      setProblem('missing');
      (account.trim() === '' ? accountInput : passcodeInput).current?.focus();
      return;
    }
    setBusy(true);
    setProblem(undefined);
    const outcome = await signIn({ account, passcode });
    setBusy(false);
    if (outcome.ok) {
      onSignedIn(outcome.value);
      return;
    }
    setProblem(outcome.problem === 'not-found' ? 'server-error' : outcome.problem === 'signed-out' ? 'refused' : outcome.problem);
    passcodeInput.current?.focus();
  };

  const isError = problem !== undefined && problem !== 'goodbye';
  const describedBy = isError ? problemId : undefined;
  return (
    <main className="dash-main dash-main--narrow">
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>{t('signIn.heading')}</h2>
        <p>{t('signIn.lead')}</p>
        <form className="sign-in" onSubmit={(event) => void submit(event)} noValidate>
          <label htmlFor={accountField}>{t('signIn.account')}</label>
          <input
            id={accountField}
            ref={accountInput}
            name="account"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={MAX_ACCOUNT}
            value={account}
            onChange={(event) => setAccount(event.target.value)}
            aria-invalid={problem === 'missing' && account.trim() === '' ? true : undefined}
            aria-describedby={describedBy}
          />
          <label htmlFor={passcodeField}>{t('signIn.passcode')}</label>
          <input
            id={passcodeField}
            ref={passcodeInput}
            name="passcode"
            type="password"
            autoComplete="current-password"
            maxLength={MAX_PASSCODE}
            aria-describedby={describedBy}
          />
          {/* Both live regions are always in the page, so each new message is announced. */}
          <div role="alert" id={problemId}>
            {isError && <p className="message message--warning">{t(`signIn.problem.${problem}`)}</p>}
          </div>
          <div role="status">
            {problem === 'goodbye' && <p className="message">{t('signIn.goodbye')}</p>}
            {busy && <p className="message">{t('signIn.busy')}</p>}
          </div>
          <div className="sign-in__actions">
            <button type="submit" className="primary" disabled={busy}>
              {t('signIn.submit')}
            </button>
          </div>
        </form>
      </section>
    </main>
  );
}
