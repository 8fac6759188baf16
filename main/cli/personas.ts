import { parseArgs } from 'node:util';
import { listPersonas } from '../simulation/personas';

/** `myna-kiosk personas [--json]`: the virtual card catalogue, one line each. */
export async function runPersonas(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true });
  const personas = listPersonas();
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(personas.map((persona) => ({ id: persona.id, title: persona.title, description: persona.description })))}\n`,
    );
  } else {
    const width = Math.max(...personas.map((persona) => persona.id.length));
    for (const persona of personas) process.stdout.write(`${persona.id.padEnd(width)}  ${persona.description.en}\n`);
  }
  return 0;
}
