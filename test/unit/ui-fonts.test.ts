import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fontFaceCss, screenCharacters, unicodeRange } from '../../scripts/ui-fonts.mjs';
import { scratchForTest } from '../support/scratch';

const code = (character: string) => character.codePointAt(0)!;

describe("the screens' cut of Noto Sans JP (scripts/ui-fonts.mjs)", () => {
  it('writes runs of consecutive code points as ranges and the rest alone, in order, without repeats', () => {
    expect(unicodeRange([0x3042, 0x41, 0x3041, 0x3043, 0x41, 0x5165, 0x43])).toBe('U+41,U+43,U+3041-3043,U+5165');
    expect(unicodeRange([0x20])).toBe('U+20');
  });

  it("takes every character of the screens' sources and the whole kana blocks, not the scripts the terminal's own fonts draw", () => {
    const folder = scratchForTest('myna-kiosk-ui-fonts-');
    mkdirSync(join(folder, 'locales'));
    writeFileSync(join(folder, 'locales', 'xx.json'), JSON.stringify({ title: '更新 Tiếng Việt 한국어 ไทย नेपाली' }));
    writeFileSync(join(folder, 'Screen.tsx'), 'const mark = "〒";');
    writeFileSync(join(folder, 'notes.md'), '鬱'); // Not a source the screens read.
    const characters = screenCharacters([folder]);

    for (const wanted of ['更', '新', 'ế', 'ệ', '〒', 'ア', 'ゖ', 'Ａ', 'a', '~']) expect(characters, wanted).toContain(code(wanted));
    for (const left of ['한', '국', 'ไ', 'न', '鬱']) expect(characters, left).not.toContain(code(left));
    // Control characters (a file's newlines) are never glyphs to keep.
    expect(characters.every((point) => point >= 0x20)).toBe(true);
    expect(characters).toEqual([...characters].sort((a, b) => a - b));
  });

  it('declares the cut as Noto Sans JP, regular and bold, each with the same unicode-range, from files beside the CSS', () => {
    const css = fontFaceCss([code('更'), code('新')]);
    expect(css.match(/@font-face/g)).toHaveLength(2);
    expect(css).toContain("font-family: 'Noto Sans JP';");
    expect(css).toContain('font-weight: 400;');
    expect(css).toContain("src: url(./noto-sans-jp-ui-400.woff2) format('woff2');");
    expect(css).toContain('font-weight: 700;');
    expect(css).toContain("src: url(./noto-sans-jp-ui-700.woff2) format('woff2');");
    expect(css.match(/unicode-range: U\+65b0,U\+66f4;/g)).toHaveLength(2);
  });
});
