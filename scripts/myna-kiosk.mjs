#!/usr/bin/env node
// `npx myna-kiosk …`: runs the built CLI (main/cli/), building it first on a fresh checkout or after a source changed.
import { buildIfStale } from './build.mjs';

const built = buildIfStale({ quiet: true });
if (built !== 0) {
  console.error(`myna-kiosk: the build failed (exit ${built}); nothing was run`);
  process.exit(built);
}
await import(new URL('../out/main/cli.js', import.meta.url).href);
