/**
 * The printed slips' words, in English and Japanese, for the lead to merge
 * into the locale files under `slips.*`. Kept here while the locale files are
 * being restructured; the shapes are typed so Japanese cannot miss a key
 * English has, and every hand-off code has its reason, what to bring and
 * where to go.
 *
 * Facts come from docs/domain.md. Slips never carry a PIN, a name, an
 * address or a My Number, so no string has a placeholder for one.
 */

/**
 * Every reason main can hand a session off with (main/session/session-machine.ts,
 * HandOffCode). The renderer cannot import main, so the list is repeated
 * here; a code missing from it still prints, with the `other` wording.
 */
export const HAND_OFF_CODES = [
  'not-a-my-number-card',
  'juki-card',
  'smartphone',
  'unrecognised-card',
  'no-valid-authentication-certificate',
  'period-of-stay',
  'face-auth-staff-only',
  'legal-representative-required',
  'pin-locked',
  'pin-blocked',
  'pin-forgotten',
  'service-unavailable',
  'gateway-failure',
  'card-error',
  'identity-not-confirmed',
  'substitute-characters-declined',
  'envelope-unsealed',
  'form-expired',
  'form-not-handed-in-person',
  'proxy-without-identity',
  'authority-not-proven',
] as const;
export type HandOffCode = (typeof HAND_OFF_CODES)[number];

export function isHandOffCode(code: string | undefined): code is HandOffCode {
  return (HAND_OFF_CODES as readonly (string | undefined)[]).includes(code);
}

/** Printed as they are on the expiry notice: phone numbers are not translated. */
export const HELP_LINE_NUMBERS = {
  general: '0120-95-0178',
  foreignLanguages: '0120-0178-27',
} as const;

/** A wording for each hand-off code, plus `other` for a code this list does not know yet. */
type PerHandOff = Record<HandOffCode | 'other', string>;

// ── English ──────────────────────────────────────────────────────────────────

const EN_WINDOW = 'The My Number Card window at your city, ward, town or village office.';
const EN_ID_FOR_PIN_RESET =
  'Your My Number Card and one more ID document: a photo ID such as a driving licence or passport, or a document such as a health-insurance card or pension book.';
const EN_PROXY_SECOND_VISIT =
  'A new inquiry-and-reply form (照会書兼回答書) will be mailed to the card holder. The holder fills it in personally and seals it in its envelope. Then bring the holder’s My Number Card, the sealed envelope, the expiry notice, and your own photo ID.';
const EN_PROXY_WHERE = 'The My Number Card window, after the new form has arrived. A form sent by mail cannot be accepted: it must be brought by the proxy.';
const EN_LEGAL_REPRESENTATIVE_BRING =
  'The holder’s My Number Card, your own photo ID, and a document proving that you are the legal representative (for example a family register certificate, or for an adult guardian the certificate of registered matters).';

const EN_HAND_OFF_REASONS: PerHandOff = {
  'not-a-my-number-card': 'The card you inserted is not a My Number Card.',
  'juki-card': 'This is a Basic Resident Register Card (Juki card). Its certificates can no longer be renewed: the My Number Card has replaced it.',
  smartphone: 'A smartphone was placed on the reader. This terminal renews only the certificates on the My Number Card itself. Certificates on a smartphone are handled on the smartphone.',
  'unrecognised-card': 'The card could not be read. It may be inserted the wrong way round, dirty, or damaged.',
  'no-valid-authentication-certificate':
    'Your card has no valid user-authentication certificate (it was revoked or never issued). A new one can be issued at the window, free of charge.',
  'period-of-stay':
    'Your card is valid only until the end of your period of stay. After your period of stay has been extended, the card’s validity must be extended at the window before the certificates can be renewed.',
  'face-auth-staff-only': 'Your card is a face-authentication My Number Card, which has no PIN. Its certificate can be renewed only at the window, where staff check your face.',
  'legal-representative-required':
    'The card holder is under 15 or an adult ward. The renewal is done at the window by the legal representative (a parent or guardian).',
  'pin-locked':
    'A PIN on your card is locked because it was entered wrongly too many times. It can be reset at the window after an identity check, and the renewal can be done on the same visit.',
  'pin-blocked':
    'The PIN was entered wrongly too many times and is now locked (a 4-digit PIN locks after 3 wrong entries, the signature password after 5). It can be reset at the window after an identity check, and the renewal can be done on the same visit.',
  'pin-forgotten':
    'You do not remember a PIN. A forgotten PIN can be reset at the window after an identity check. You then choose a new PIN, and the renewal can be done on the same visit.',
  'service-unavailable':
    'The national system that issues the certificates is not available now (it closes at 20:00, and on one maintenance Sunday each month). The renewal could not be finished.',
  'gateway-failure': 'The renewal stopped because of a communication problem with the system that issues the certificates. Staff can see how far it got and will finish it.',
  'card-error': 'The card could not be read or written properly. It may have moved during the process, or it may be damaged.',
  'identity-not-confirmed': 'Your identity could not be confirmed with the documents shown, so the PIN could not be reset.',
  'substitute-characters-declined':
    'You did not accept how your name or address would be written in the signature certificate (some characters are replaced by similar ones or by kana). Staff will explain the choices.',
  'envelope-unsealed': 'The envelope with the inquiry-and-reply form had been opened, so the PINs on the form may have been seen. The form cannot be accepted.',
  'form-expired': 'The inquiry-and-reply form is valid only until the certificate’s expiry date, and that date has passed. The form cannot be accepted.',
  'form-not-handed-in-person': 'The inquiry-and-reply form must be brought to the window by the proxy, in its sealed envelope. A form sent by mail cannot be accepted.',
  'proxy-without-identity': 'The proxy’s identity could not be confirmed. A proxy must show their own ID document with a photo.',
  'authority-not-proven': 'It could not be confirmed that you are the card holder’s legal representative.',
  other: 'This terminal could not finish your renewal.',
};

const EN_HAND_OFF_BRING: PerHandOff = {
  'not-a-my-number-card': 'Your My Number Card (the IC card with your photo). If you do not have one, staff will explain how to apply.',
  'juki-card': 'Your My Number Card if you have one. If not, your Basic Resident Register Card: staff will help you apply for a My Number Card.',
  smartphone: 'Your My Number Card.',
  'unrecognised-card': 'Your My Number Card and this slip.',
  'no-valid-authentication-certificate': 'Your My Number Card. If you have forgotten your PIN, also one more ID document, such as a driving licence or passport.',
  'period-of-stay': 'Your My Number Card and your new residence card, after your period of stay has been extended.',
  'face-auth-staff-only': 'Your My Number Card.',
  'legal-representative-required': EN_LEGAL_REPRESENTATIVE_BRING,
  'pin-locked': EN_ID_FOR_PIN_RESET,
  'pin-blocked': EN_ID_FOR_PIN_RESET,
  'pin-forgotten': EN_ID_FOR_PIN_RESET,
  'service-unavailable': 'Your My Number Card.',
  'gateway-failure': 'Your My Number Card and this slip.',
  'card-error': 'Your My Number Card and this slip.',
  'identity-not-confirmed': EN_ID_FOR_PIN_RESET,
  'substitute-characters-declined': 'Your My Number Card.',
  'envelope-unsealed': EN_PROXY_SECOND_VISIT,
  'form-expired': EN_PROXY_SECOND_VISIT,
  'form-not-handed-in-person': EN_PROXY_SECOND_VISIT,
  'proxy-without-identity':
    'Your own photo ID (for example a driving licence or passport), the holder’s My Number Card, the inquiry-and-reply form still sealed in its envelope, and the expiry notice.',
  'authority-not-proven': EN_LEGAL_REPRESENTATIVE_BRING,
  other: 'Your My Number Card and this slip.',
};

const EN_HAND_OFF_WHERE: PerHandOff = {
  'not-a-my-number-card': EN_WINDOW,
  'juki-card': EN_WINDOW,
  smartphone: 'Insert the My Number Card itself into this terminal. If you need help, go to the My Number Card window.',
  'unrecognised-card': 'The My Number Card window: staff will check the card.',
  'no-valid-authentication-certificate': EN_WINDOW,
  'period-of-stay': EN_WINDOW,
  'face-auth-staff-only': EN_WINDOW,
  'legal-representative-required': EN_WINDOW,
  'pin-locked': EN_WINDOW,
  'pin-blocked': EN_WINDOW,
  'pin-forgotten': EN_WINDOW,
  'service-unavailable': 'Use this terminal again during service hours (before 20:00, not on the maintenance Sunday), or go to the My Number Card window.',
  'gateway-failure': 'The My Number Card window, as soon as you can.',
  'card-error': 'The My Number Card window: staff will check the card.',
  'identity-not-confirmed': EN_WINDOW,
  'substitute-characters-declined': EN_WINDOW,
  'envelope-unsealed': EN_PROXY_WHERE,
  'form-expired': EN_PROXY_WHERE,
  'form-not-handed-in-person': EN_PROXY_WHERE,
  'proxy-without-identity': EN_WINDOW,
  'authority-not-proven': EN_WINDOW,
  other: EN_WINDOW,
};

export const SLIP_STRINGS_EN = {
  slips: {
    printedOn: 'Printed on {{date}}',
    reference: {
      heading: 'Reference',
      qrLabel: 'QR code of reference {{reference}}',
      note: 'Show this reference at the window when you ask about this visit. It holds no personal information.',
    },
    helpLines: {
      heading: 'Questions',
      general: 'My Number general free dial (Japanese)',
      foreignLanguages: 'Foreign languages (English, Chinese, Korean, Spanish, Portuguese)',
    },
    handOff: {
      title: 'Please go to the window',
      lead: 'This terminal could not finish your renewal. Please show this slip at the window.',
      reasonHeading: 'Why',
      bringHeading: 'What to bring',
      whereHeading: 'Where to go',
      reasons: EN_HAND_OFF_REASONS,
      bring: EN_HAND_OFF_BRING,
      where: EN_HAND_OFF_WHERE,
    },
    completion: {
      title: 'Your certificates have been renewed',
      newExpiryHeading: 'New expiry dates',
      authentication: 'User-authentication certificate',
      signature: 'Signature certificate',
      reRegisterHeading: 'Some services must be registered again',
      reRegister:
        'The user-authentication certificate has a new serial number. Services linked to the old certificate, such as issuing family register certificates at convenience stores, must be registered again.',
      delayHeading: 'Some services need a few hours',
      delay: 'Some services may accept the new certificate only some hours after the renewal.',
      keep: 'Please keep this slip.',
    },
  },
};

export type SlipStrings = typeof SLIP_STRINGS_EN;

// ── Japanese ─────────────────────────────────────────────────────────────────

const JA_WINDOW = 'お住まいの市区町村のマイナンバーカード窓口';
const JA_ID_FOR_PIN_RESET =
  'マイナンバーカードと、本人確認書類もう1点（運転免許証・パスポートなどの顔写真付きの書類、または健康保険証・年金手帳などの書類）';
const JA_PROXY_SECOND_VISIT =
  'カードの名義人あてに、新しい照会書兼回答書を郵送します。名義人ご本人が記入し、封筒に入れて封をしてください。そのうえで、名義人のマイナンバーカード、封をしたままの照会書兼回答書、有効期限通知書、代理人の方の顔写真付き本人確認書類をお持ちください。';
const JA_PROXY_WHERE = '新しい照会書兼回答書が届いてから、マイナンバーカード窓口へお越しください。郵送では受け付けられませんので、代理人の方がお持ちください。';
const JA_LEGAL_REPRESENTATIVE_BRING =
  '名義人のマイナンバーカード、法定代理人ご本人の顔写真付き本人確認書類、法定代理人であることを確認できる書類（戸籍謄本、成年後見の登記事項証明書など）';

const JA_HAND_OFF_REASONS: PerHandOff = {
  'not-a-my-number-card': '挿入されたカードは、マイナンバーカードではありません。',
  'juki-card': '挿入されたカードは住民基本台帳カードです。住民基本台帳カードの電子証明書は更新できません（現在はマイナンバーカードに切り替わっています）。',
  smartphone: 'カードリーダーにスマートフォンが置かれました。この端末で更新できるのは、マイナンバーカード本体の電子証明書だけです。スマートフォン用電子証明書の手続は、スマートフォンで行います。',
  'unrecognised-card': 'カードを読み取れませんでした。カードの向きが違う、汚れている、または破損している可能性があります。',
  'no-valid-authentication-certificate': 'カードに有効な利用者証明用電子証明書がありません（失効している、または発行されていません）。窓口で新しく発行できます（無料）。',
  'period-of-stay': 'カードの有効期限が、在留期間の満了日までとなっています。在留期間の更新後に、窓口でカードの有効期間を延長する手続をしてから、電子証明書を更新します。',
  'face-auth-staff-only': 'お持ちのカードは、暗証番号を設定しない顔認証マイナンバーカードです。電子証明書の更新は、窓口で職員がお顔を確認して行います。',
  'legal-representative-required': 'カードの名義人が15歳未満の方または成年被後見人の方です。更新は、法定代理人（親権者・成年後見人）が窓口で行います。',
  'pin-locked': '暗証番号を続けて間違えたため、カードの暗証番号がロックされています。窓口で本人確認のうえ暗証番号を設定し直すことができ、同じ日に更新もできます。',
  'pin-blocked':
    '暗証番号を続けて間違えたため、暗証番号がロックされました（4桁の暗証番号は3回、署名用のパスワードは5回の誤りでロックされます）。窓口で本人確認のうえ設定し直すことができ、同じ日に更新もできます。',
  'pin-forgotten': '暗証番号をお忘れの場合は、窓口で本人確認のうえ新しい暗証番号を設定できます。その後、同じ日に更新もできます。',
  'service-unavailable': '電子証明書を発行する全国共通のシステムが、現在利用できません（毎日20時以降と、毎月1回の保守日の日曜日は利用できません）。そのため更新を完了できませんでした。',
  'gateway-failure': '電子証明書を発行するシステムとの通信に問題があり、更新が途中で止まりました。職員が状況を確認し、手続を完了します。',
  'card-error': 'カードの読み書きが正しくできませんでした。処理中にカードが動いたか、カードが破損している可能性があります。',
  'identity-not-confirmed': 'お持ちの書類では本人確認ができなかったため、暗証番号を設定し直すことができませんでした。',
  'substitute-characters-declined':
    '署名用電子証明書に記録される氏名・住所の表記（一部の文字を似た文字やカナに置き換えたもの）にご同意いただけませんでした。職員がご説明します。',
  'envelope-unsealed': '照会書兼回答書の封筒が開いていたため、暗証番号を他の人に見られたおそれがあります。この照会書兼回答書は受け付けられません。',
  'form-expired': '照会書兼回答書の有効期限（電子証明書の有効期限日まで）が過ぎています。この照会書兼回答書は受け付けられません。',
  'form-not-handed-in-person': '照会書兼回答書は、封をしたまま代理人の方が窓口にお持ちいただく必要があります。郵送された照会書兼回答書は受け付けられません。',
  'proxy-without-identity': '代理人の方の本人確認ができませんでした。代理人の方ご自身の顔写真付き本人確認書類が必要です。',
  'authority-not-proven': 'カードの名義人の法定代理人であることを確認できませんでした。',
  other: 'この端末では手続を完了できませんでした。',
};

const JA_HAND_OFF_BRING: PerHandOff = {
  'not-a-my-number-card': 'マイナンバーカード（顔写真付きのICカード）。お持ちでない方には、申請の方法をご案内します。',
  'juki-card': 'マイナンバーカードをお持ちの方はマイナンバーカード。お持ちでない方は住民基本台帳カード（マイナンバーカードの申請をご案内します）。',
  smartphone: 'マイナンバーカード',
  'unrecognised-card': 'マイナンバーカードとこの用紙',
  'no-valid-authentication-certificate': 'マイナンバーカード。暗証番号をお忘れの方は、運転免許証・パスポートなどの本人確認書類もお持ちください。',
  'period-of-stay': 'マイナンバーカードと、在留期間が更新された新しい在留カード',
  'face-auth-staff-only': 'マイナンバーカード',
  'legal-representative-required': JA_LEGAL_REPRESENTATIVE_BRING,
  'pin-locked': JA_ID_FOR_PIN_RESET,
  'pin-blocked': JA_ID_FOR_PIN_RESET,
  'pin-forgotten': JA_ID_FOR_PIN_RESET,
  'service-unavailable': 'マイナンバーカード',
  'gateway-failure': 'マイナンバーカードとこの用紙',
  'card-error': 'マイナンバーカードとこの用紙',
  'identity-not-confirmed': JA_ID_FOR_PIN_RESET,
  'substitute-characters-declined': 'マイナンバーカード',
  'envelope-unsealed': JA_PROXY_SECOND_VISIT,
  'form-expired': JA_PROXY_SECOND_VISIT,
  'form-not-handed-in-person': JA_PROXY_SECOND_VISIT,
  'proxy-without-identity': '代理人の方の顔写真付き本人確認書類（運転免許証・パスポートなど）、名義人のマイナンバーカード、封をしたままの照会書兼回答書、有効期限通知書',
  'authority-not-proven': JA_LEGAL_REPRESENTATIVE_BRING,
  other: 'マイナンバーカードとこの用紙',
};

const JA_HAND_OFF_WHERE: PerHandOff = {
  'not-a-my-number-card': JA_WINDOW,
  'juki-card': JA_WINDOW,
  smartphone: 'マイナンバーカード本体をこの端末に挿入してください。ご不明な点は、マイナンバーカード窓口へお越しください。',
  'unrecognised-card': 'マイナンバーカード窓口へお越しください。職員がカードを確認します。',
  'no-valid-authentication-certificate': JA_WINDOW,
  'period-of-stay': JA_WINDOW,
  'face-auth-staff-only': JA_WINDOW,
  'legal-representative-required': JA_WINDOW,
  'pin-locked': JA_WINDOW,
  'pin-blocked': JA_WINDOW,
  'pin-forgotten': JA_WINDOW,
  'service-unavailable': '受付時間内（20時まで。保守日の日曜日を除く）にもう一度この端末をご利用いただくか、マイナンバーカード窓口へお越しください。',
  'gateway-failure': 'お早めに、マイナンバーカード窓口へお越しください。',
  'card-error': 'マイナンバーカード窓口へお越しください。職員がカードを確認します。',
  'identity-not-confirmed': JA_WINDOW,
  'substitute-characters-declined': JA_WINDOW,
  'envelope-unsealed': JA_PROXY_WHERE,
  'form-expired': JA_PROXY_WHERE,
  'form-not-handed-in-person': JA_PROXY_WHERE,
  'proxy-without-identity': JA_WINDOW,
  'authority-not-proven': JA_WINDOW,
  other: JA_WINDOW,
};

export const SLIP_STRINGS_JA: SlipStrings = {
  slips: {
    printedOn: '発行日：{{date}}',
    reference: {
      heading: '受付番号',
      qrLabel: '受付番号 {{reference}} のQRコード',
      note: 'この件でお問い合わせの際は、窓口でこの受付番号をお見せください。個人情報は含まれていません。',
    },
    helpLines: {
      heading: 'お問い合わせ',
      general: 'マイナンバー総合フリーダイヤル',
      foreignLanguages: '外国語対応（英語・中国語・韓国語・スペイン語・ポルトガル語）',
    },
    handOff: {
      title: '窓口へお越しください',
      lead: 'この端末では手続を完了できませんでした。この用紙を窓口でお見せください。',
      reasonHeading: '理由',
      bringHeading: 'お持ちいただくもの',
      whereHeading: 'お越しいただく場所',
      reasons: JA_HAND_OFF_REASONS,
      bring: JA_HAND_OFF_BRING,
      where: JA_HAND_OFF_WHERE,
    },
    completion: {
      title: '電子証明書の更新が完了しました',
      newExpiryHeading: '新しい有効期限',
      authentication: '利用者証明用電子証明書',
      signature: '署名用電子証明書',
      reRegisterHeading: '再登録が必要なサービスがあります',
      reRegister:
        '利用者証明用電子証明書のシリアル番号が新しくなりました。古い電子証明書とひも付けていたサービス（コンビニでの戸籍証明書の交付など）は、もう一度登録してください。',
      delayHeading: 'すぐに使えないサービスがあります',
      delay: 'サービスによっては、新しい電子証明書が使えるようになるまで数時間かかることがあります。',
      keep: 'この用紙は大切に保管してください。',
    },
  },
};
