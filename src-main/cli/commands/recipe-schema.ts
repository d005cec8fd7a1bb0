import type { Command } from 'commander';
import { recipeSchema, researchSettings } from './recipe-option.js';

/** `attune recipe-schema train`: the JSON Schema of a command's recipe files, for editors and checks. */
export function registerRecipeSchema(program: Command): void {
  program
    .command('recipe-schema')
    .description("print the JSON Schema of a command's recipe files (--recipe FILE)")
    .argument('<command>', 'the command whose recipes it describes: train or finetune')
    .action((name: string) => {
      const withRecipes = program.commands.filter((c) => researchSettings(c).length > 0);
      const command = withRecipes.find((c) => c.name() === name);
      if (!command)
        throw new Error(
          `\`attune ${name}\` takes no recipe (${withRecipes.map((c) => c.name()).join(' and ')} do)`,
        );
      process.stdout.write(JSON.stringify(recipeSchema(command), null, 2) + '\n');
    });
}
