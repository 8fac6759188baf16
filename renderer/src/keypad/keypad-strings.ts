/**
 * The keypad's strings, under `keypad.*`, to be merged into the locale files
 * (renderer/src/locales). None of them may hold a digit that could be taken
 * for part of a PIN except the counts and the rules themselves.
 */

export const KEYPAD_STRINGS_EN = {
  keypad: {
    clear: 'Clear all',
    backspace: 'Delete one',
    forgot: 'I forgot my PIN',
    submit: 'OK',
    entered: '{{count}} of {{length}} characters entered',
    enteredPassword: '{{count}} characters entered (6 to 16)',
    keySpoken: 'key',
    problem: {
      length4: 'A PIN has 4 digits.',
      password: 'The password is 6 to 16 characters, with at least one letter (A–Z) and one digit (0–9).',
    },
    lettersGroup: 'Letters',
    digitsGroup: 'Digits',
  },
};

export const KEYPAD_STRINGS_JA = {
  keypad: {
    clear: '全部消す',
    backspace: '一つ消す',
    forgot: '暗証番号を忘れた',
    submit: '決定',
    entered: '{{length}}桁中 {{count}}桁 入力しました',
    enteredPassword: '{{count}}文字 入力しました（6〜16文字）',
    keySpoken: 'キー',
    problem: {
      length4: '暗証番号は数字4桁です。',
      password: '暗証番号は6〜16文字で、英字（A〜Z）と数字（0〜9）をそれぞれ1つ以上含みます。',
    },
    lettersGroup: '英字',
    digitsGroup: '数字',
  },
} satisfies typeof KEYPAD_STRINGS_EN;
