import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { StaffView } from '../../../preload/contract';
import { useSend } from '../send';
import { Actions, Screen } from './Screen';

/**
 * Staff sign-in at the counter (and unlock after inactivity). The passcode
 * stays in this form until it is sent, then the field is emptied; it is
 * checked against its hash in main and never kept.
 */
export function StaffSignIn({ staff }: { staff: StaffView }) {
  const { t } = useTranslation();
  const send = useSend();
  const idField = useId();
  const passcodeField = useId();
  const [staffId, setStaffId] = useState(staff.staffId ?? '');
  const passcode = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string>();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = passcode.current?.value ?? '';
    if (passcode.current) passcode.current.value = '';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(staffId) || !/^[\x21-\x7e]{1,64}$/.test(value)) {
      setProblem(t('staff.malformed'));
      return;
    }
    setProblem(undefined);
    void send({ type: 'STAFF_SIGN_IN', staffId, passcode: value });
  };

  const refusal = problem ?? (staff.refusal ? t(`staff.refusal.${staff.refusal}`, { seconds: staff.retryInSeconds ?? 0 }) : undefined);
  return (
    <Screen title={staff.state === 'locked' ? t('staff.lockedTitle') : t('staff.title')} name="staff-sign-in">
      <p className="lead">{staff.state === 'locked' ? t('staff.lockedLead') : t('staff.lead')}</p>
      <form className="sign-in" onSubmit={submit} noValidate>
        <label htmlFor={idField}>{t('staff.id')}</label>
        <input id={idField} name="staff-id" autoComplete="off" value={staffId} onChange={(event) => setStaffId(event.target.value)} />
        <label htmlFor={passcodeField}>{t('staff.passcode')}</label>
        <input id={passcodeField} ref={passcode} name="staff-passcode" type="password" autoComplete="off" />
        {refusal && (
          <p className="warning" role="alert">
            {refusal}
          </p>
        )}
        {staff.checking && <p role="status">{t('staff.checking')}</p>}
        <Actions>
          <button type="submit" className="primary" disabled={staff.checking}>
            {t('staff.signIn')}
          </button>
        </Actions>
      </form>
    </Screen>
  );
}
