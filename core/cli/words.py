"""``motionlex words``: the heaviest lexical words of a text or a motion file.

Each word of the lexical vector with its weight and share of the whole vector (the
explorer's bars for a text query are shares of the 64 words ``search`` keeps, so they read
higher); ``--group-forms`` sums the forms of one word into one row
(:mod:`motionlex.core.text.word_groups`), as the explorer's panel.
"""

from __future__ import annotations

import argparse
import logging

from motionlex.core.cli.types import DEVICE_HELP, UsageError, examples, positive_int
from motionlex.core.model.types import EncoderModel

logger = logging.getLogger(__name__)

FORMS_PER_WORD = 3
"""Words read per row asked for with ``--group-forms`` (a word has up to 4 forms)."""


def grouped_word_weights(model: EncoderModel, words: list[tuple[str, float, float]]
                         ) -> list[tuple[str, float, float, tuple[str, ...]]]:
    """``(word, weight, share, forms)`` rows summed by word group, heaviest first.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`);
            its vocabulary's words and the lexical ones define the groups.
        words: :func:`~motionlex.core.retrieval.word_protocol.word_weights` rows.

    Returns:
        One row per group: its name, the summed weight and share of its forms, and the
        forms summed (those among ``words``, heaviest first).
    """
    from motionlex.core.text.spelling import lexical_whole_words, whole_words
    from motionlex.core.text.word_groups import group_weights, word_groups

    groups = word_groups(lexical_whole_words(model.vocabulary,
                                             model.lexical_excluded().tolist()),
                         whole_words(model.vocabulary))
    share = {w: s for w, _, s in words}
    return [(g, v, sum(share[f] for f in forms), forms)
            for g, v, forms in group_weights([(w, v) for w, v, _ in words], groups)]


def cmd_words(args: argparse.Namespace) -> int:
    """``motionlex words``: print the heaviest lexical words of a text or a motion file."""
    from motionlex.core.model.lite_load import load_for_queries
    from motionlex.core.retrieval.word_protocol import word_weights
    from motionlex.resources import default_model_dir

    if args.text is not None and args.motion is None:  # a path: its motion, as search reads it
        from motionlex.core.cli.query_notes import motion_path_query

        named = motion_path_query(args.text, "the words of the motion in")
        if named is not None:
            args.text, args.motion = None, named
    if (args.text is None) == (args.motion is None):
        raise UsageError("give exactly one of: a TEXT, --motion FILE")
    checkpoint = args.checkpoint or default_model_dir()
    unknown: list = []
    k = args.k * FORMS_PER_WORD if args.group_forms else args.k  # enough for k groups
    if args.motion is not None:
        from motionlex.core.motion.files import load_motion_file  # BVH/SciPy: motions only

        m = load_motion_file(args.motion)  # read (and checked) before the model loads
        # the towers in plain torch (~1.5 s instead of ~5 s, as search)
        model, stats = load_for_queries(checkpoint, args.device)
        words = word_weights(model, stats, motion=m, k=k)  # a Motion: its own fps
    else:
        from motionlex.core.cli.query_notes import warn_long_text, warn_unknown_words

        model, stats = load_for_queries(checkpoint, args.device)
        words = word_weights(model, stats, text=args.text, k=k,
                             warn_truncated=False)  # warn_long_text notes it below
        unknown = warn_unknown_words(args.text, model)
        warn_long_text(args.text, model)
    forms: dict[str, tuple[str, ...]] = {}  # --group-forms: the forms each row sums
    if args.group_forms:
        grouped = grouped_word_weights(model, words)[: args.k]
        words = [(w, v, s) for w, v, s, _ in grouped]
        forms = {w: f for w, _, _, f in grouped}
    own = None  # which words are the text's own (any form); the rest the model adds
    if args.text is not None:
        try:
            from motionlex.core.text.words import own_words

            own = own_words([w for w, _, _ in words], [args.text], model.word_pieces)
        except (ImportError, RuntimeError, OSError) as e:  # no English parser: unmarked
            logger.info("words not marked as the text's own: %s", e)
    if args.json:  # one document (README "JSON output"; json_output's field names)
        from motionlex.core.cli.json_output import print_json, unknown_words

        print_json({"query": args.text, "file": args.motion,
                    "unknown_words": unknown_words(unknown),
                    "words": [{"word": w, "weight": v, "share": s,
                               "in_text": None if own is None else w in own,
                               **({"forms": list(forms[w])} if args.group_forms else {})}
                              for w, v, s in words]})
    else:
        print("  weight   share  word")
        for w, v, s in words:
            added = "   (added)" if own is not None and w not in own else ""
            summed = f"   [{', '.join(forms[w])}]" if forms.get(w, (w,)) != (w,) else ""
            print(f"{v:8.4f}  {s:6.3f}  {w}{summed}{added}")
        if own is not None and any(w not in own for w, _, _ in words):
            print("(added): not a word of the text in any form, added by the model")
    return 0


def add_words_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``words`` subcommand."""
    s = sub.add_parser(
        "words", help="the heaviest lexical words of a text or a motion file",
        description="Encode a caption or a motion file (.npy, .bvh) and print its k heaviest "
        "lexical words: the weight (log(1 + relu(max logit))) and the share (weight over the "
        "whole vector's L2 norm; search keeps a text query's 64 heaviest words and normalises "
        "over those, which the explorer's bars for a text show, and an index a motion's 128, "
        "so their shares read higher); 'search --words' shows each word's part of the "
        "lexical score, query share x motion share.",
        epilog=examples('motionlex words "a person waves the left hand"',
                        "motionlex words --motion walk.bvh -k 10",
                        'motionlex words "a person jumps" --json'))
    s.add_argument("text", nargs="?", default=None, help="a caption (or give --motion)")
    s.add_argument("--motion", default=None, metavar="FILE", help="a .npy or .bvh motion file")
    s.add_argument("-k", type=positive_int, default=20, help="number of words (default 20)")
    s.add_argument("--json", action="store_true", help="print one JSON document instead of "
                   "the table: query, file, unknown_words and words (word, weight, share, "
                   "in_text; with --group-forms also forms); README's 'JSON output'")
    s.add_argument("--group-forms", action="store_true",
                   help="one row per word, the weights and shares of its forms summed "
                   "(raised, raises, raising as raise), as the explorer's lexical panel; "
                   "each row lists the forms it sums")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the shipped resources/default_model)")
    s.add_argument("--device", default=None, help=DEVICE_HELP)
    s.set_defaults(func=cmd_words)
