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
  const phrases = parser.parse(text);
  if (phrases.length < 2) return text;
  return phrases.map((phrase, index) => (
    <Fragment key={index}>
      {index > 0 && <wbr />}
      {phrase}
    </Fragment>
  ));
}
