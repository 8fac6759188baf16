import { describe, expect, it } from 'vitest';
import { classifyTaps, initialScripts, languageOfChunk, median } from '../../main/cli/bench-ui';

describe('bench ui: the initial scripts of index.html', () => {
  it('finds the module script of a Vite build, not the stylesheet or the icon', () => {
    const html = `<!doctype html>
<html lang="ja">
  <head>
    <link rel="icon" href="./favicon.svg" type="image/svg+xml" />
    <script type="module" crossorigin src="./assets/index-DRUbHpE6.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-H_WVnEXW.css">
  </head>
  <body><div id="root"></div></body>
</html>`;
    expect(initialScripts(html)).toEqual(['assets/index-DRUbHpE6.js']);
  });

  it('adds modulepreload links, in document order, each once, whatever the quoting and case', () => {
    const html = `
<SCRIPT TYPE=module src='/assets/index-a.js'></SCRIPT>
<link rel="modulepreload" crossorigin href="./assets/vendor-b.js">
<link crossorigin rel="preload modulepreload" href="assets/shared-c.js?v=1">
<link rel="modulepreload" href="./assets/vendor-b.js">`;
    expect(initialScripts(html)).toEqual(['assets/index-a.js', 'assets/vendor-b.js', 'assets/shared-c.js']);
  });

  it('ignores classic scripts, plain preloads, commented-out tags and a module script without src', () => {
    const html = `
<!-- <script type="module" src="./assets/old.js"></script> -->
<script src="./assets/classic.js"></script>
<script type="module">import './inline.js';</script>
<link rel="preload" as="script" href="./assets/preload.js">
<script type="module" src="./assets/index.js"></script>`;
    expect(initialScripts(html)).toEqual(['assets/index.js']);
  });

  it('refuses a script from elsewhere: the kiosk loads only its own files', () => {
    expect(() => initialScripts('<script type="module" src="https://cdn.example/x.js"></script>')).toThrow(/outside the renderer/);
    expect(() => initialScripts('<script type="module" src="//cdn.example/x.js"></script>')).toThrow(/outside the renderer/);
    expect(() => initialScripts('<link rel="modulepreload" href="../secrets.js">')).toThrow(/outside the renderer/);
  });
});

describe('bench ui: language chunks', () => {
  it('names the language of a locale chunk, hyphens in the language or the hash included', () => {
    expect(languageOfChunk('en-nxWwlsYi.js')).toBe('en');
    expect(languageOfChunk('ja-x-easy-C_l51Tkr.js')).toBe('ja-x-easy');
    expect(languageOfChunk('zh-Hant-BwMzueqS.js')).toBe('zh-Hant');
    expect(languageOfChunk('tl-CiHhfiF-.js')).toBe('tl');
  });

  it('is not fooled by the entry chunk or other names', () => {
    expect(languageOfChunk('index-DRUbHpE6.js')).toBeUndefined();
    expect(languageOfChunk('en-short.js')).toBeUndefined();
    expect(languageOfChunk('fr-ABCDEFGH.js')).toBeUndefined();
    expect(languageOfChunk('en-nxWwlsYi.css')).toBeUndefined();
  });
});

describe('bench ui: figures', () => {
  it('takes the median of an odd and an even count', () => {
    expect(median([1, 2, 9])).toBe(2);
    expect(median([1, 2, 4, 9])).toBe(3);
    expect(() => median([])).toThrow();
  });

  it("counts the resident's taps only: not the PIN's characters, not the trainer's clicks", () => {
    const taps = classifyTaps([
      { who: 'resident', name: 'English' },
      { who: 'trainer', name: 'Insert this card' },
      { who: 'resident', name: 'Continue' },
      { who: 'pin-character', name: '' },
      { who: 'pin-character', name: '' },
      { who: 'resident', name: 'OK' },
      { who: 'trainer', name: 'Pull the card' },
    ]);
    expect(taps.count).toBe(3);
    expect(taps.tapped).toEqual(['English', 'Continue', 'OK']);
    expect(taps.excluded.pinCharacters).toBe(2);
    expect(taps.excluded.trainer).toEqual(['Insert this card', 'Pull the card']);
  });
});
