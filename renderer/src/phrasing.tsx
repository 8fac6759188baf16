import { loadDefaultJapaneseParser } from 'budoux';
import { Fragment, type ReactNode } from 'react';

/**
 * Japanese has no spaces, so a browser may break a line inside a word
 * ("アルファ|ベット"). BudouX finds the phrase boundaries; each gets a <wbr>,
 * and the stylesheet's `word-break: keep-all` for Japanese allows breaks
 * there and nowhere else. A <wbr> adds no character, so what is read aloud
 * and the accessible names stay exactly the strings in the locale files.
 */
const parser = loadDefaultJapaneseParser();

export function phrased(text: string, language: string): ReactNode {
  if (!language.startsWith('ja')) return text;
  const phrases = keepOpeningBracketsWithNext(parser.parse(text));
  if (phrases.length < 2) return text;
  return phrases.map((phrase, index) => (
    <Fragment key={index}>
      {index > 0 && <wbr />}
      {phrase}
    </Fragment>
  ));
}

/** Opening brackets that may not end a line (JIS X 4051): BudouX sometimes leaves one alone, as in "暗証番号（|あんしょうばんごう）". */
const TRAILING_OPENING_BRACKETS = /[（「『【〔［｛〈《([{]+$/u;

/** Moves opening brackets at a phrase's end to the start of the next phrase, so a line never ends on one. */
function keepOpeningBracketsWithNext(phrases: readonly string[]): string[] {
  const kept: string[] = [];
  let carried = '';
  for (const phrase of phrases) {
    const whole = carried + phrase;
    const brackets = TRAILING_OPENING_BRACKETS.exec(whole)?.[0] ?? '';
    carried = brackets;
    const rest = whole.slice(0, whole.length - brackets.length);
    if (rest) kept.push(rest);
  }
  if (carried) {
    if (kept.length > 0) kept[kept.length - 1] += carried;
    else kept.push(carried);
  }
  return kept;
}
