// Types for scripts/mutation.mjs (a plain-Node script), for stryker.config.mjs and the tests that import it.

export const AIM_PERCENT: number;
export const MUTATED_ROOMS: readonly string[];
export const MUTATED_FILES: readonly string[];
/** Every module of the mutated rooms and files, as repository paths, sorted. */
export function mutatedModules(root?: string): string[];
/** The unit test files that import `module` themselves, sorted. */
export function testsImporting(module: string, root?: string): string[];
/** Modules run against the test files named here alone. */
export const OWN_TESTS: Readonly<Record<string, readonly string[]>>;
/** The test files a module's mutants run against: OWN_TESTS's, else `testsImporting`'s. */
export function testsFor(module: string, root?: string): string[];
/** Whether a module compiles to any JavaScript (one of types alone has nothing to mutate). */
export function holdsCode(module: string, root?: string): boolean;
export interface MutationScore {
  mutants: number;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  ignored: number;
  percent: number;
}
/** (killed + timed out) ÷ valid mutants (compile and runtime errors and marked equivalents left out), one decimal, rounded down. */
export function scoreOf(mutants: ReadonlyArray<{ status: string }>): MutationScore;
