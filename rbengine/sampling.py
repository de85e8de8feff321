"""Random and mutated candidates, for differential testing and benchmarks.

Seeded, so a failing case can be reproduced from its seed.
"""

from __future__ import annotations

import random

from .action import Action
from .candidate import Candidate
from .vocabulary import Vocabulary, get

#: The candidates of docs/semantics.md §6, in the compact notation.
REFERENCE = {
    "alg1": "broadcast: send_all type0\nreceive: deliver",
    "alg2": "broadcast: send_myself type0\nreceive: send_neighbours type1; deliver",
    "alg3": ("broadcast: send_all type0\nreceive: send_all type1 if type0 from 1; "
             "deliver if type1 from (N+F)/2; send_all type1 if type1 from F+1"),
    "fig3": ("broadcast: send_neighbours type0\nreceive: send_neighbours type1 if type0 from 1; "
             "send_neighbours type1 if type1 from F+1; deliver if type1 from F+1"),
    "bracha": ("broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; "
               "send_all type2 if type1 from (N+F)/2; send_all type2 if type2 from F+1; "
               "deliver if type2 from 2F+1"),
}

#: A wide vocabulary for testing: every token, three types.
WIDE = Vocabulary("wide", 3, ("0", "1", "F+1", "(N+F)/2", "N-F", "2F+1", "origin"))


def reference(name: str) -> Candidate:
    return Candidate.loads(REFERENCE[name])


def random_candidate(rng: random.Random, vocab: Vocabulary | str = WIDE,
                     max_broadcast: int = 2, max_receive: int = 4) -> Candidate:
    vocab = get(vocab)
    acts = [a for a in vocab.actions() if not a.is_stop]
    bcast_pool = [a for a in acts if a.is_send and a.threshold == "0"]
    nb = rng.randint(1, max_broadcast)
    broadcast = tuple(rng.choice(bcast_pool if rng.random() < 0.9 else acts) for _ in range(nb))
    nr = rng.randint(1, max_receive)
    receive = [rng.choice(acts) for _ in range(nr)]
    if rng.random() < 0.8 and not any(a.logic == "deliver" for a in receive):
        receive[rng.randrange(nr)] = rng.choice([a for a in acts if a.logic == "deliver"])
    return Candidate(broadcast, tuple(receive))


def mutate(c: Candidate, rng: random.Random, vocab: Vocabulary | str = WIDE) -> Candidate:
    """One small edit: replace, add or remove an action, or retune one."""
    vocab = get(vocab)
    acts = [a for a in vocab.actions() if not a.is_stop]
    handler = "receive" if rng.random() < 0.8 or not c.broadcast else "broadcast"
    items = list(c.handler(handler))
    op = rng.choice(("replace", "add", "remove", "retune")) if items else "add"
    if op == "add" or (op == "remove" and len(items) <= 1):
        items.append(rng.choice(acts))
    elif op == "remove":
        items.pop(rng.randrange(len(items)))
    elif op == "replace":
        items[rng.randrange(len(items))] = rng.choice(acts)
    else:
        i = rng.randrange(len(items))
        a = items[i]
        tok = rng.choice(vocab.tokens)
        ct = rng.randrange(vocab.types)
        items[i] = Action.make(a.logic, a.send_type, ct, tok)
    if handler == "broadcast":
        return Candidate(tuple(items), c.receive)
    return Candidate(c.broadcast, tuple(items))


def corpus(seed: int, count: int, vocab: Vocabulary | str = WIDE) -> list[Candidate]:
    """Half random, half mutations of the reference candidates, deduplicated."""
    rng = random.Random(seed)
    bases = [reference(k) for k in REFERENCE]
    out: list[Candidate] = []
    seen = set()
    while len(out) < count:
        if len(out) % 2:
            c = random_candidate(rng, vocab)
        else:
            c = rng.choice(bases)
            for _ in range(rng.randint(1, 2)):
                c = mutate(c, rng, vocab)
        k = c.key()
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out
