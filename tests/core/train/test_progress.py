"""The training progress bar counts a phase's steps across its epochs (core/train/progress.py)."""

from __future__ import annotations

import lightning as L
import torch

from motionlex.core.train.progress import PhaseProgressBar, bar_status


class _OneBatchEpochs(L.LightningModule):
    """A linear model whose epochs hold one batch, as a small phase's do."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        loss = self.layer(batch).pow(2).mean()
        self.log("loss", loss, prog_bar=True)
        return loss

    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.randn(4, 3), batch_size=4)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_the_bar_names_the_phase_and_counts_its_steps(tmp_path, capsys) -> None:
    trainer = L.Trainer(max_steps=7, max_epochs=-1, callbacks=[PhaseProgressBar("3-lexcmlp", 7)],
                        logger=L.pytorch.loggers.CSVLogger(tmp_path), enable_model_summary=False,
                        enable_checkpointing=False, accelerator="cpu", log_every_n_steps=1)
    trainer.fit(_OneBatchEpochs())
    out = capsys.readouterr().err  # the bars draw on stderr, as the loading bars do
    last = out.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("3-lexcmlp: 100%") and "7/7" in last and "loss=" in last
    assert "Epoch" not in out and "v_num" not in out and "/-2" not in out


class _ValidateAtEnd(L.Callback):
    """Stands in for validation at a phase's end: records what the bar shows meanwhile."""

    def __init__(self) -> None:
        self.during: str | None = None

    def on_train_end(self, trainer, pl_module) -> None:
        import time

        bar = trainer.progress_bar_callback.train_progress_bar
        self.steps_time = bar.format_dict["elapsed"]
        with bar_status(trainer, "validating"):
            self.during = bar.postfix
            time.sleep(0.5)  # a validation that takes a while
        self.after = bar.postfix
        self.clock_after = bar.format_dict["elapsed"]


def test_validation_names_itself_on_the_finished_bar(tmp_path, capsys) -> None:
    probe = _ValidateAtEnd()
    trainer = L.Trainer(max_steps=3, max_epochs=-1,
                        callbacks=[probe, PhaseProgressBar("3-lexcmlp", 3)],
                        logger=False, enable_model_summary=False, enable_checkpointing=False,
                        accelerator="cpu")
    trainer.fit(_OneBatchEpochs())
    assert probe.during.endswith("validating") and "loss=" in probe.during
    assert probe.after == probe.during.removesuffix(", validating")
    # the validation's 0.5 s is not on the bar's clock: its rate and time left are the steps'
    assert probe.clock_after - probe.steps_time < 0.25
    assert "validating" in capsys.readouterr().err  # drawn, not only stored


class _ValidateAtStep(L.Callback):
    """Stands in for validation every 2 steps (ValidateAndExport): records the bar's count."""

    def __init__(self) -> None:
        self.shown: list[tuple[int, int]] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step % 2 == 0:
            bar = trainer.progress_bar_callback.train_progress_bar
            self.shown.append((trainer.global_step, bar.n))


def test_a_validation_after_the_bar_in_the_callbacks_sees_its_own_step(tmp_path) -> None:
    """Validation listed before the bar ran first and showed 'validating' at 3/8 for step 4
    (training audit 35); training.py lists the bar first, so the bar shows the step."""
    probe = _ValidateAtStep()
    trainer = L.Trainer(max_steps=6, max_epochs=-1,
                        callbacks=[PhaseProgressBar("3-lexcmlp", 6), probe],
                        logger=False, enable_model_summary=False, enable_checkpointing=False,
                        accelerator="cpu")
    trainer.fit(_OneBatchEpochs())
    assert probe.shown == [(2, 2), (4, 4), (6, 6)]
