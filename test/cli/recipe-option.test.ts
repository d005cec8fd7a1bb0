import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addRecipeOption,
  applyRecipe,
  chosen,
  recipeSchema,
  researchOption,
} from '../../src-main/cli/commands/recipe-option.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-recipe-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A command with two everyday flags and three research settings; resolves with what its action saw. */
function run(args: string[]): Promise<{ values: Record<string, unknown>; command: Command }> {
  return new Promise((resolve, reject) => {
    const program = new Command().exitOverride();
    const command = program.command('train').option('--run <dir>', 'run folder', 'runs/base');
    researchOption(command, new Option('--lr <x>', 'learning rate').default('0.002'));
    researchOption(command, new Option('--subsample-strides <a,b>', 'strides').default('2,1'));
    researchOption(command, new Option('--no-adapt-subsampling', 'keep the subsampling frozen'));
    addRecipeOption(command).action((values: Record<string, unknown>, cmd: Command) => {
      try {
        applyRecipe(cmd, values);
        resolve({ values, command: cmd });
      } catch (err) {
        reject(err as Error);
      }
    });
    program.parseAsync(['node', 'attune', 'train', ...args]).catch(reject);
  });
}

function recipe(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('recipe files', () => {
  it('set research settings as their flags would, with lists and switches, and a flag given wins', async () => {
    const file = recipe('r.json', '{"lr": 5e-4, "subsample-strides": [3, 1], "adapt-subsampling": false}');
    const { values, command } = await run(['--recipe', file]);
    expect(values).toMatchObject({ lr: '0.0005', subsampleStrides: '3,1', adaptSubsampling: false });
    expect(chosen(command, 'lr')).toBe(true);
    expect(chosen(command, 'run')).toBe(false);

    const flagWins = await run(['--recipe', file, '--lr', '0.01']);
    expect(flagWins.values).toMatchObject({ lr: '0.01', subsampleStrides: '3,1' });
    const none = await run([]);
    expect(none.values).toMatchObject({ lr: '0.002', subsampleStrides: '2,1', adaptSubsampling: true });
    expect(chosen(none.command, 'lr')).toBe(false);
  });

  it('keeps research settings out of --help and names them under --recipe', () => {
    const command = new Command('train').option('--run <dir>', 'run folder');
    researchOption(command, new Option('--lr <x>', 'learning rate').default('0.002'));
    addRecipeOption(command);
    const help = command.helpInformation();
    expect(help).toContain('--run <dir>');
    expect(help).not.toContain('--lr <x>');
    expect(help).toMatch(/--recipe <file>\s+research settings as a JSON object \(flags given here win\): lr/);
  });

  it('refuses an unreadable file, text that is not an object, an unknown key or a value of the wrong kind', async () => {
    await expect(run(['--recipe', join(dir, 'missing.json')])).rejects.toThrow(
      /cannot read recipe .*missing\.json/,
    );
    await expect(run(['--recipe', recipe('bad.json', '{"lr": ')])).rejects.toThrow(
      /recipe .*bad\.json is not valid JSON/,
    );
    await expect(run(['--recipe', recipe('list.json', '[1]')])).rejects.toThrow(
      /must be a JSON object of settings/,
    );
    await expect(run(['--recipe', recipe('key.json', '{"run": "x"}')])).rejects.toThrow(
      /recipe .*key\.json: "run" is not a setting of `attune train` \(its settings: lr, subsample-strides, adapt-subsampling\)/,
    );
    await expect(run(['--recipe', recipe('kind.json', '{"lr": {"x": 1}}')])).rejects.toThrow(
      /"lr" must be a number, a string or a list of them, got \{"x":1\}/,
    );
    await expect(run(['--recipe', recipe('switch.json', '{"adapt-subsampling": "no"}')])).rejects.toThrow(
      /"adapt-subsampling" must be true or false, got "no"/,
    );
  });

  it('describes its settings as a JSON Schema that allows no other keys', () => {
    const command = new Command('train');
    researchOption(command, new Option('--lr <x>', 'learning rate').default('0.002'));
    researchOption(command, new Option('--no-adapt-subsampling', 'keep the subsampling frozen'));
    const schema = recipeSchema(command);
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: {
        lr: { description: 'learning rate', default: '0.002' },
        'adapt-subsampling': { type: 'boolean', description: 'keep the subsampling frozen' },
      },
    });
  });
});
