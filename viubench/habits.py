"""The argument parser of the ``viubench`` command, with one line for the flags other tools taught its
users: lmms-eval's (``--model_args``: what viubench does instead) and viubench's own spelled with
underscores (``--model_option``: the flag meant)."""

from __future__ import annotations

import argparse

# lmms-eval's flags, which its users type out of habit, and what viubench does instead
LMMS_EVAL_FLAGS = {
    "--model_args": "viubench takes the model as --model hf:PATH_OR_ID (or an alias) and its options as --model-option KEY=VALUE (comma-separated too: --model-option batch_size=2,dtype=bfloat16)",
    "--batch_size": "use --model-option batch_size=N",
    "--log_samples": "viubench always journals every sample in the run directory (samples/TASK.jsonl); drop the flag",
    "--output_path": "use --out DIR (the folder of run directories)",
    "--gen_kwargs": "use --max-new-tokens N (the generation budget); other generation settings are backend options: --model-option KEY=VALUE",
    "--device": "use --model-option device=cuda:0 (hf backend)",
    "--num_fewshot": "viubench's tasks are zero-shot, as the paper evaluates them; drop the flag",
    "--include_path": "tasks of other packages register through the 'viubench.tasks' entry point; see 'viubench list tasks'",
    "--use_cache": "a run continues from its journal by itself: run the same command again (--fresh starts over)",
    "--cache_requests": "a run continues from its journal by itself: run the same command again (--fresh starts over)",
    "--predict_only": "use 'viubench eval' (the answers are in the run directory's journal) and 'viubench rescore RUN_DIR'",
    "--verbosity": "viubench has no verbosity levels; drop the flag",
    "--wandb_args": "viubench writes no Weights & Biases logs; compare runs with 'viubench report RUN_DIR ...'",
    "--apply_chat_template": "viubench always applies the model's chat template; drop the flag",
    "--num_frames": "use --frames N (the paper reports 32, 48 and 64)",
    "--max_num_frames": "use --frames N (the paper reports 32, 48 and 64)",
}


class Parser(argparse.ArgumentParser):
    """argparse, with one line for a flag of another habit: lmms-eval's (``--model_args``: what viubench
    does instead) or a viubench flag spelled with underscores (``--model_option``: the flag meant)."""

    def error(self, message: str) -> "NoReturn":  # noqa: F821
        hint = self._habit(message)
        if hint is not None:
            self.exit(2, f"{self.prog}: error: {hint}\n")
        super().error(message)

    def _habit(self, message: str) -> str | None:
        words = [word.split("=", 1)[0] for word in message.replace(",", " ").split() if word.startswith("--")]
        known = self._option_strings()
        for word in words:
            lmms = "--" + word[2:].replace("-", "_")  # --model-args is --model_args
            if lmms in LMMS_EVAL_FLAGS and word not in known:
                return f"{word} is lmms-eval's flag: {LMMS_EVAL_FLAGS[lmms]}"
        for word in words:
            dashed = word.replace("_", "-")
            if dashed != word and dashed in known:
                return f"{word}: viubench's flags use hyphens: {dashed}"
        return None

    def _option_strings(self) -> set[str]:
        """Every option of this parser and its subcommands."""
        found = set(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= set(sub._option_string_actions)
        return found
