// The screens' own cut of Noto Sans JP: one file per weight holding every
// character the kiosk's text uses, made at build time from the full font.
//
// Why: @fontsource splits Noto Sans JP into about 120 files per weight by
// Unicode range, so the attract screen alone fetched 48 of them (regular and
// bold), and the page was interactive 20 % later than without them. The
// screens' text is known when the app is built (the locale files and the
// components), so two files of about 200 kB cover it. @fontsource's faces
// stay declared before this one, for text the build could not know (a
// substitute character, a name at the counter): for a character both cover,
// the face declared last is used (CSS Fonts 4, "unicode-range"), and only a
// character outside this cut loads one of @fontsource's files.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** Where the cut is kept between builds (relative to the repository), and what it is made from. */
export const UI_FONTS_FOLDER = 'node_modules/.cache/myna-kiosk/ui-fonts';
// The screens and what the trainer's panel shows of the demo's personas (their descriptions, from main).
const SCREEN_SOURCES = ['renderer/src', 'main/simulation/personas'];

/** The weights the screens use (tokens.css, styles.css): regular and bold. */
export const UI_FONT_WEIGHTS = /** @type {const} */ ({
  400: '@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf',
  700: '@expo-google-fonts/noto-sans-jp/700Bold/NotoSansJP_700Bold.ttf',
});

/**
 * Scripts the terminal draws with fonts of its own (tokens.css: Nanum for
 * Korean, Garuda or Leelawadee for Thai, Lohit or Nirmala for Devanagari):
 * Noto Sans JP has no glyphs for them, so they are left out.
 */
const OWN_FONT_SCRIPTS = /\p{Script=Hangul}|\p{Script=Thai}|\p{Script=Devanagari}/u;

/**
 * Whole blocks kept whatever the text says today: the kana, the CJK
 * punctuation and the full-width forms are small, and a dynamic string (a
 * date, a reference, a word from main) is most likely to use them.
 */
const WHOLE_BLOCKS = [
  [0x20, 0x7e], // ASCII
  [0xa0, 0xff], // Latin-1
  [0x2010, 0x2027], // dashes, quotes, ellipsis
  [0x3000, 0x30ff], // CJK punctuation, hiragana, katakana
  [0xff01, 0xff5e], // full-width ASCII
];

/** The characters of every `.ts`, `.tsx` and `.json` file under `folders`, without the scripts drawn by other fonts. */
export function screenCharacters(folders) {
  const found = new Set();
  const visit = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child);
      else if (/\.(tsx?|json)$/.test(entry.name)) for (const character of readFileSync(child, 'utf8')) found.add(character.codePointAt(0));
    }
  };
  for (const folder of folders) visit(folder);
  for (const [first, last] of WHOLE_BLOCKS) for (let code = first; code <= last; code++) found.add(code);
  return [...found].filter((code) => code >= 0x20 && !OWN_FONT_SCRIPTS.test(String.fromCodePoint(code))).sort((a, b) => a - b);
}

/** Code points as a CSS unicode-range: runs of consecutive points as `U+3041-3096`, others alone (`U+5165`). */
export function unicodeRange(codePoints) {
  const sorted = [...new Set(codePoints)].sort((a, b) => a - b);
  const parts = [];
  for (let index = 0; index < sorted.length; index++) {
    const first = sorted[index];
    while (index + 1 < sorted.length && sorted[index + 1] === sorted[index] + 1) index++;
    const last = sorted[index];
    const hex = (code) => code.toString(16);
    parts.push(first === last ? `U+${hex(first)}` : `U+${hex(first)}-${hex(last)}`);
  }
  return parts.join(',');
}

/** The @font-face rules for the cut files (named `noto-sans-jp-ui-<weight>.woff2` beside the CSS). */
export function fontFaceCss(codePoints) {
  const range = unicodeRange(codePoints);
  return Object.keys(UI_FONT_WEIGHTS)
    .map(
      (weight) => `@font-face {
  font-family: 'Noto Sans JP';
  font-style: normal;
  font-display: swap;
  font-weight: ${weight};
  src: url(./noto-sans-jp-ui-${weight}.woff2) format('woff2');
  unicode-range: ${range};
}
`,
    )
    .join('\n');
}

/**
 * Writes `ui-fonts.css` and its two font files into `outDir`, unless the
 * folder already holds them for the same characters, font files and
 * subsetter (a key file records which): a build with unchanged text costs
 * nothing. Returns what it did, for the build's log.
 */
export async function writeUiFonts({ sourceFolders, outDir }) {
  const codePoints = screenCharacters(sourceFolders);
  const sources = Object.fromEntries(Object.entries(UI_FONT_WEIGHTS).map(([weight, module]) => [weight, require.resolve(module)]));
  const key = createHash('sha256')
    .update(JSON.stringify({ codePoints, versions: [versionOf('@expo-google-fonts/noto-sans-jp'), versionOf('subset-font')] }))
    .digest('hex');
  const keyFile = join(outDir, 'key.txt');
  const expected = ['ui-fonts.css', ...Object.keys(sources).map((weight) => `noto-sans-jp-ui-${weight}.woff2`)];
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key && expected.every((file) => existsSync(join(outDir, file)))) {
    return { made: false, characters: codePoints.length };
  }

  const { default: subsetFont } = await import('subset-font');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const text = String.fromCodePoint(...codePoints);
  const bytes = {};
  for (const [weight, source] of Object.entries(sources)) {
    const cut = await subsetFont(readFileSync(source), text, { targetFormat: 'woff2' });
    writeFileSync(join(outDir, `noto-sans-jp-ui-${weight}.woff2`), cut);
    bytes[weight] = cut.length;
  }
  writeFileSync(join(outDir, 'ui-fonts.css'), fontFaceCss(codePoints));
  writeFileSync(keyFile, key);
  return { made: true, characters: codePoints.length, bytes };
}

function versionOf(packageName) {
  return JSON.parse(readFileSync(require.resolve(`${packageName}/package.json`), 'utf8')).version;
}

// `node scripts/ui-fonts.mjs`: make the cut if the screens' text changed (scripts/build.mjs runs it first).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sourceFolders = SCREEN_SOURCES.map((folder) => join(ROOT, folder));
  const made = await writeUiFonts({ sourceFolders, outDir: join(ROOT, UI_FONTS_FOLDER) });
  if (made.made) {
    const sizes = Object.entries(made.bytes).map(([weight, bytes]) => `${weight}: ${Math.round(bytes / 1000)} kB`);
    console.log(`Noto Sans JP cut to the screens' ${made.characters} characters (${sizes.join(', ')}).`);
  }
}
