import { AppConfig, repositoryRoot } from '@app/config';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES } from './api-error';

/** The repository's own promise (docs/contract.md) and its README agree with the code. */
const read = (file: string) => fs.readFileSync(path.join(repositoryRoot(), file), 'utf8');

/** The first column of the markdown table under `heading`: the `code`-quoted names. */
function tableNames(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = markdown.slice(start).split('\n');
  const names: string[] = [];
  // skip the header row and its |---| line; the table ends at the first line that is not a row
  for (const row of lines.slice(lines.findIndex((l) => l.startsWith('|')) + 2)) {
    if (!row.startsWith('|')) break;
    names.push(...[...(row.split('|')[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]));
  }
  return names;
}

/** Every variable AppConfig reads when built from an empty environment (a Proxy notes each read). */
function variablesReadByConfig(): string[] {
  const read = new Set<string>();
  const env = new Proxy({}, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  new AppConfig(env);
  return [...read].sort();
}

describe('docs/contract.md', () => {
  it('lists exactly the error codes the API raises', () => {
    expect(tableNames(read('docs/contract.md'), '## Errors').sort()).toEqual([...ERROR_CODES].sort());
  });

  it("promises only variables the configuration reads, and the README's table lists every variable it reads", () => {
    const readByConfig = variablesReadByConfig();
    const promised = tableNames(read('docs/contract.md'), '## Configuration variables');
    const documented = tableNames(read('README.md'), '## Configuration');
    expect(promised.length).toBeGreaterThanOrEqual(8);
    expect(readByConfig.filter((name) => !documented.includes(name))).toEqual([]);
    expect(promised.filter((name) => !readByConfig.includes(name))).toEqual([]);
  });
});
