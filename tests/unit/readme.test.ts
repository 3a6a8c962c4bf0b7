// The README is the front door: short, opening with the two commands, and every link it gives leads
// somewhere in the repository.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');

describe('the README', () => {
  it('is at most 14,000 bytes and opens with npm ci && npm start, then npm ci && npm test', () => {
    expect(statSync('README.md').size).toBeLessThanOrEqual(14_000);
    const commands = /```sh\n(.*)\n(.*)\n```/.exec(readme);
    expect(commands?.[1]).toMatch(/^npm ci && npm start /);
    expect(commands?.[2]).toMatch(/^npm ci && npm test /);
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
  });

  it.each(['README.md', 'docs/deploy.md', 'docs/operations.md'])('%s links only to files that exist', (file) => {
    const text = readFileSync(file, 'utf8');
    const directory = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    const links = [...text.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((match) => `${directory}${match[1]}`);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(existsSync(link), link).toBe(true);
  });
});
