"""The recipe's errors: each names the file or the option at fault, and the scripts print it without a trace."""

import sys


class RecipeError(Exception):
    """A bad input (model folder, corpus, audio, option) the user can fix; the message says which and why."""


def run_main(main):
    """Runs a script's main(): a RecipeError becomes one line on stderr and exit status 2."""
    try:
        return main()
    except RecipeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
