// Types for scripts/ui-fonts.mjs (a plain-Node build script), for the Vite config and the tests that import it.

/** Where the cut is kept between builds, relative to the repository. */
export const UI_FONTS_FOLDER: string;
/** The weights cut, each with the full font it is cut from (a module path). */
export const UI_FONT_WEIGHTS: Readonly<Record<'400' | '700', string>>;
/** The sorted code points of the screens' sources under `folders`, without the scripts drawn by other fonts. */
export function screenCharacters(folders: readonly string[]): number[];
/** Code points as a CSS unicode-range. */
export function unicodeRange(codePoints: readonly number[]): string;
/** The @font-face rules for the cut files. */
export function fontFaceCss(codePoints: readonly number[]): string;
export function writeUiFonts(options: { sourceFolders: readonly string[]; outDir: string }): Promise<{
  made: boolean;
  characters: number;
  bytes?: Record<string, number>;
}>;
