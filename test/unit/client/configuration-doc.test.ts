// docs/configuration.md lists every configurable option with its flag, variable and config key:
// an option added to a server or the mount without its row fails here, not in a user's hands.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configKey } from '../../../client/cli/config/names.js';
import { buildProgram } from '../../../client/cli/program.js';

async function docSections(): Promise<Map<string, string>> {
  const text = await readFile(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const sections = new Map<string, string>();
  for (const part of text.split('\n### ').slice(1)) {
    const heading = part.slice(0, part.indexOf('\n'));
    sections.set(heading.split(' ')[0] ?? heading, part);
  }
  return sections;
}

describe('docs/configuration.md', () => {
  it('has a row for every option that has a variable: flag, variable, config key', async () => {
    const sections = await docSections();
    const program = buildProgram();
    const documented: [string, Command][] = [['gfs', program]];
    for (const command of program.commands) {
      if (command.options.some((option) => option.envVar !== undefined)) documented.push([command.name(), command]);
    }
    expect(documented.map(([name]) => name)).toEqual(['gfs', 'master', 'chunkserver', 'cluster', 'mount', 'gateway']);
    for (const [name, command] of documented) {
      const section = sections.get(name);
      expect(section, `section ### ${name}`).toBeDefined();
      for (const option of command.options) {
        if (option.envVar === undefined) continue;
        const row = `| \`${option.flags}\` | \`${option.envVar}\` | `;
        expect(section, `${name} ${option.flags}`).toContain(row);
        if (option.long !== '--config')
          expect(section, `${name} ${option.flags} key`).toContain(`${row}\`${configKey(option)}\``);
      }
    }
  });
});
