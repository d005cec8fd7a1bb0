// Research settings (learning rate, model shape, augmentation, …) live in a recipe file rather than on every
// command line: `--recipe FILE` is a JSON object whose keys are the settings' flag names without the dashes
// ({"lr": 5e-4, "band-limit": 0.3, "augment": "perturb"}). Each setting is also a flag, kept out of --help
// so that the everyday flags stand out; a flag given on the command line wins over the file. The values are
// then checked by the same parsers as the flags (options.ts), so an error reads the same either way.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';

/** The settings a recipe may hold: options added with researchOption. */
const RESEARCH = new WeakMap<Command, Map<string, Option>>();

/** The recipe key of an option: its attribute in kebab case (`--no-adapt-subsampling` → adapt-subsampling). */
const recipeKey = (o: Option) => o.attributeName().replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Adds a research setting: a flag hidden from --help that a recipe file may set. */
export function researchOption(command: Command, option: Option): Command {
  const known = RESEARCH.get(command) ?? new Map<string, Option>();
  RESEARCH.set(command, known);
  known.set(recipeKey(option), option);
  return command.addOption(option.hideHelp());
}

/** The recipe keys of a command's research settings (none: the command takes no recipe). */
export function researchSettings(command: Command): string[] {
  return [...(RESEARCH.get(command)?.keys() ?? [])];
}

/** Adds --recipe FILE, naming the research settings it may hold. */
export function addRecipeOption(command: Command): Command {
  const keys = researchSettings(command);
  return command.option(
    '--recipe <file>',
    `research settings as a JSON object (flags given here win): ${keys.join(', ')}`,
  );
}

/** Whether the user chose a setting, on the command line or in the recipe (not left at its default). */
export function chosen(command: Command, attribute: string): boolean {
  const source = command.getOptionValueSource(attribute);
  return source === 'cli' || source === 'config';
}

/**
 * Applies the recipe file named by --recipe (if any) to `values` (the command's options): every setting it
 * holds, unless its flag was given on the command line. Throws naming the file and the key for an unreadable
 * file, a key that is no research setting of the command, or a value of the wrong kind.
 */
export function applyRecipe(command: Command, values: Record<string, unknown>): void {
  const file = values.recipe;
  if (typeof file !== 'string') return;
  const recipe = readRecipe(file);
  const known = RESEARCH.get(command) ?? new Map<string, Option>();
  for (const [key, value] of Object.entries(recipe)) {
    const option = known.get(key);
    if (!option)
      throw new Error(
        `recipe ${file}: "${key}" is not a setting of \`attune ${command.name()}\` (its settings: ${[...known.keys()].join(', ')})`,
      );
    const attribute = option.attributeName();
    if (command.getOptionValueSource(attribute) === 'cli') continue;
    const parsed = recipeValue(option, value, `recipe ${file}: "${key}"`);
    values[attribute] = parsed;
    command.setOptionValueWithSource(attribute, parsed, 'config');
  }
}

function readRecipe(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read recipe ${file}: ${(err as Error).message}`);
  }
  let recipe: unknown;
  try {
    recipe = JSON.parse(text);
  } catch (err) {
    throw new Error(`recipe ${file} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe))
    throw new Error(`recipe ${file} must be a JSON object of settings, like {"lr": 0.0005}`);
  return recipe as Record<string, unknown>;
}

/**
 * A recipe value as the flag would have given it: text for an option that takes a value (a list may be an
 * array), true or false for a switch.
 */
function recipeValue(option: Option, value: unknown, where: string): string | boolean {
  const takesValue = option.required || option.optional;
  if (!takesValue) {
    if (typeof value !== 'boolean')
      throw new Error(`${where} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'number' || typeof v === 'string')
  )
    return value.join(',');
  throw new Error(`${where} must be a number, a string or a list of them, got ${JSON.stringify(value)}`);
}

/**
 * The JSON Schema of a command's recipe files (for editors and checks): each setting with its description,
 * default and kind, and no other keys.
 */
export function recipeSchema(command: Command): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, option] of RESEARCH.get(command) ?? []) {
    const takesValue = option.required || option.optional;
    properties[key] = {
      description: option.description,
      ...(takesValue
        ? { type: ['number', 'string', 'array'], items: { type: ['number', 'string'] } }
        : { type: 'boolean' }),
      ...(option.defaultValue !== undefined ? { default: option.defaultValue } : {}),
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `attune ${command.name()} recipe`,
    description: `Research settings of \`attune ${command.name()}\` (--recipe FILE); a flag on the command line wins over the file.`,
    type: 'object',
    properties,
    additionalProperties: false,
  };
}
