"""`torchrun`, runnable where the installed one fails on its own defaults (torch 1.13 under Python 3.11).

    python3 recipes/torch/torchrun.py --nproc_per_node 2 recipes/torch/train.py …   (same options as torchrun)

torch 1.13's elastic launcher turns its --redirects/--tee values into flags by iterating over the Std enum, and
Python 3.11 no longer yields the zero and composite members (NONE, ALL) when iterating a flag enum; every
launch then stops with "'NoneType' object has no attribute 'get'". Debian 12 ships exactly that pair. This
wrapper parses those values by number and otherwise is torchrun itself (torch.distributed.run.main); with a
torch that parses them correctly it changes nothing.
"""

import re
import sys

from torch.distributed.elastic.multiprocessing import api


def _parse_std(value):
    """'3' → Std.ALL; '0:3,1:0' → {0: Std.ALL, 1: Std.NONE}; anything else is refused as torchrun does."""
    if re.fullmatch(api._VALUE_REGEX, value):
        return api.Std(int(value))
    if re.fullmatch(api._MAPPING_REGEX, value):
        return {int(rank): api.Std(int(flags)) for rank, flags in (p.split(":") for p in value.split(","))}
    return _torch_parse(value)


_torch_parse = api.Std.from_str
if _torch_parse("0") is None:
    api.Std.from_str = staticmethod(_parse_std)

if __name__ == "__main__":
    from torch.distributed.run import main

    sys.exit(main())
