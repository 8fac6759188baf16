import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { RenewalRoute } from '../../../preload/vocabulary';
import { formatJapanDate } from '../format/dates';
import { useSend } from '../send';
import { CancelButton, type SessionScreenProps } from './ResidentScreens';
import { Actions, Screen } from './Screen';

/** Who stands at the counter for the holder (docs/domain.md, "Routes"). */
export function RouteChoiceScreen(props: SessionScreenProps) {
  const { t } = useTranslation();
  const send = useSend();
  const choose = (route: RenewalRoute) => () => void send({ type: 'SESSION', intent: { type: 'CHOOSE_ROUTE', route } });
  return (
    <Screen title={t('routeChoice.title')} name="route-choice">
      <StatusFacts {...props} />
      <Actions>
        <button type="button" className="primary" onClick={choose('in-person')}>
          {t('routeChoice.in-person')}
        </button>
        <button type="button" onClick={choose('voluntary-proxy')}>
          {t('routeChoice.voluntary-proxy')}
        </button>
        <button type="button" onClick={choose('legal-representative')}>
          {t('routeChoice.legal-representative')}
        </button>
        <CancelButton />
      </Actions>
    </Screen>
  );
}

/** The status facts without the status screen's own frame, for the staff's route choice. */
function StatusFacts(props: SessionScreenProps) {
  const { t } = useTranslation();
  const expires = props.session.card?.authenticationExpires;
  return (
    <p className="lead" data-testid="status-facts">
      {expires ? t('routeChoice.summary', { date: formatJapanDate(expires, props.view.language) }) : t('routeChoice.summaryNoDate')}
    </p>
  );
}

/** A yes/no question of a staff checklist, as a pair of radio buttons (no default: staff must answer). */
function YesNo({
  name,
  label,
  value,
  onChange,
}: {
  name: string;
  label: string;
  value: boolean | undefined;
  onChange: (value: boolean) => void;
}) {
  const { t } = useTranslation();
  return (
    <fieldset className="choice">
      <legend>{label}</legend>
      <label>
        <input type="radio" name={name} checked={value === true} onChange={() => onChange(true)} />
        {t('common.yes')}
      </label>
      <label>
        <input type="radio" name={name} checked={value === false} onChange={() => onChange(false)} />
        {t('common.no')}
      </label>
    </fieldset>
  );
}

function Choice<T extends string>({
  name,
  label,
  options,
  value,
  onChange,
}: {
  name: string;
  label: string;
  options: Array<[T, string]>;
  value: T | undefined;
  onChange: (value: T) => void;
}) {
  return (
    <fieldset className="choice">
      <legend>{label}</legend>
      {options.map(([option, text]) => (
        <label key={option}>
          <input type="radio" name={name} checked={value === option} onChange={() => onChange(option)} />
          {text}
        </label>
      ))}
    </fieldset>
  );
}

function ChecklistForm({ onSubmit, complete, children }: { onSubmit: () => void; complete: boolean; children: ReactNode }) {
  const { t } = useTranslation();
  const [tried, setTried] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (complete) onSubmit();
  };
  return (
    <form className="checklist" onSubmit={submit} noValidate>
      {children}
      {tried && !complete && (
        <p className="warning" role="alert">
          {t('checklist.incomplete')}
        </p>
      )}
      <Actions>
        <button type="submit" className="primary">
          {t('checklist.record')}
        </button>
        <CancelButton />
      </Actions>
    </form>
  );
}

/** The sealed inquiry-and-reply form: staff record each check; the first failed one names the hand-off. */
export function ProxyCheckScreen() {
  const { t } = useTranslation();
  const send = useSend();
  const name = useId();
  const [envelopeSealed, setEnvelopeSealed] = useState<boolean>();
  const [formWithinValidity, setFormWithinValidity] = useState<boolean>();
  const [handedInPerson, setHandedInPerson] = useState<boolean>();
  const [proxyIdentity, setProxyIdentity] = useState<'document-a' | 'document-b' | 'none'>();
  const [relationship, setRelationship] = useState<'family' | 'other'>();
  const complete =
    envelopeSealed !== undefined &&
    formWithinValidity !== undefined &&
    handedInPerson !== undefined &&
    proxyIdentity !== undefined &&
    relationship !== undefined;
  return (
    <Screen title={t('proxyCheck.title')} name="proxy-check">
      <p className="lead">{t('proxyCheck.lead')}</p>
      <ChecklistForm
        complete={complete}
        onSubmit={() =>
          void send({
            type: 'SESSION',
            intent: {
              type: 'PROXY_CHECKED',
              checks: {
                envelopeSealed: envelopeSealed!,
                formWithinValidity: formWithinValidity!,
                handedInPerson: handedInPerson!,
                proxyIdentity: proxyIdentity!,
                relationship: relationship!,
              },
            },
          })
        }
      >
        <YesNo name={`${name}-sealed`} label={t('proxyCheck.envelopeSealed')} value={envelopeSealed} onChange={setEnvelopeSealed} />
        <YesNo
          name={`${name}-valid`}
          label={t('proxyCheck.formWithinValidity')}
          value={formWithinValidity}
          onChange={setFormWithinValidity}
        />
        <YesNo name={`${name}-in-person`} label={t('proxyCheck.handedInPerson')} value={handedInPerson} onChange={setHandedInPerson} />
        <Choice
          name={`${name}-identity`}
          label={t('proxyCheck.proxyIdentity')}
          value={proxyIdentity}
          onChange={setProxyIdentity}
          options={[
            ['document-a', t('proxyCheck.identity.document-a')],
            ['document-b', t('proxyCheck.identity.document-b')],
            ['none', t('proxyCheck.identity.none')],
          ]}
        />
        <Choice
          name={`${name}-relationship`}
          label={t('proxyCheck.relationship')}
          value={relationship}
          onChange={setRelationship}
          options={[
            ['family', t('proxyCheck.relation.family')],
            ['other', t('proxyCheck.relation.other')],
          ]}
        />
      </ChecklistForm>
    </Screen>
  );
}

export function AuthorityCheckScreen() {
  const { t } = useTranslation();
  const send = useSend();
  const name = useId();
  const [proven, setProven] = useState<boolean>();
  return (
    <Screen title={t('authorityCheck.title')} name="authority-check">
      <p className="lead">{t('authorityCheck.lead')}</p>
      <ChecklistForm
        complete={proven !== undefined}
        onSubmit={() => void send({ type: 'SESSION', intent: { type: 'AUTHORITY_CHECKED', proven: proven! } })}
      >
        <YesNo name={name} label={t('authorityCheck.proven')} value={proven} onChange={setProven} />
      </ChecklistForm>
    </Screen>
  );
}

/** The identity check before a PIN reset: how many documents of each kind, oral questioning, the decision (no document numbers). */
export function IdentityCheckScreen() {
  const { t } = useTranslation();
  const send = useSend();
  const name = useId();
  const [documentsA, setDocumentsA] = useState<'0' | '1' | '2'>();
  const [documentsB, setDocumentsB] = useState<'0' | '1' | '2'>();
  const [oralQuestioning, setOralQuestioning] = useState<boolean>();
  const [accepted, setAccepted] = useState<boolean>();
  const counts: Array<['0' | '1' | '2', string]> = [
    ['0', '0'],
    ['1', '1'],
    ['2', '2'],
  ];
  const complete = documentsA !== undefined && documentsB !== undefined && oralQuestioning !== undefined && accepted !== undefined;
  return (
    <Screen title={t('identityCheck.title')} name="identity-check">
      <p className="lead">{t('identityCheck.lead')}</p>
      <ChecklistForm
        complete={complete}
        onSubmit={() =>
          void send({
            type: 'SESSION',
            intent: {
              type: 'IDENTITY_CHECKED',
              check: {
                documentsA: Number(documentsA),
                documentsB: Number(documentsB),
                oralQuestioning: oralQuestioning!,
                accepted: accepted!,
              },
            },
          })
        }
      >
        <Choice name={`${name}-a`} label={t('identityCheck.documentsA')} options={counts} value={documentsA} onChange={setDocumentsA} />
        <Choice name={`${name}-b`} label={t('identityCheck.documentsB')} options={counts} value={documentsB} onChange={setDocumentsB} />
        <YesNo name={`${name}-oral`} label={t('identityCheck.oralQuestioning')} value={oralQuestioning} onChange={setOralQuestioning} />
        <YesNo name={`${name}-accepted`} label={t('identityCheck.accepted')} value={accepted} onChange={setAccepted} />
      </ChecklistForm>
    </Screen>
  );
}

/** The signature certificate's name and address with substitute characters, for the resident to confirm (counter only). */
export function SubstitutesScreen({ session }: SessionScreenProps) {
  const { t } = useTranslation();
  const send = useSend();
  const confirm = (accepted: boolean) => () => void send({ type: 'SESSION', intent: { type: 'SUBSTITUTES_CONFIRMED', accepted } });
  return (
    <Screen title={t('substitutes.title')} name="substitutes">
      <p className="lead">{t('substitutes.lead')}</p>
      {session.substitutes && (
        <dl className="facts" data-personal="">
          <dt>{t('substitutes.name')}</dt>
          <dd>{session.substitutes.name}</dd>
          <dt>{t('substitutes.address')}</dt>
          <dd>{session.substitutes.address}</dd>
        </dl>
      )}
      <Actions>
        <button type="button" className="primary" onClick={confirm(true)}>
          {t('substitutes.accept')}
        </button>
        <button type="button" onClick={confirm(false)}>
          {t('substitutes.decline')}
        </button>
      </Actions>
    </Screen>
  );
}
