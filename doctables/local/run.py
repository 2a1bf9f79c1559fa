"""`doctables run`: upload files to the local stack, drive the pipeline, collect the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doctables.local.stack import LocalStack
from doctables.pipeline.store import JobStore
from doctables.settings import Settings


def run_files(
    paths: list[Path], *, settings: Settings | None = None, timeout: float = 1800.0, progress: bool = False,
    batch_size: int = 10,
) -> list[dict[str, Any]]:
    """Run every file through the local pipeline; one result document per file, in order.
    `batch_size`: messages per handler invocation at most (the stack's `batchSize`)."""
    with LocalStack(settings, batch_size=batch_size) as stack:
        keys = [stack.upload(path.read_bytes(), _unique_name(path, i)) for i, path in enumerate(paths)]
        bar = _ProgressBar(stack, len(keys)) if progress else None
        try:
            stack.run_until(
                lambda: all(stack.event_for_key(k) is not None for k in keys),
                timeout=timeout,
                on_progress=bar,
            )
        finally:
            if bar:
                bar.close()
        return [stack.result(stack.event_for_key(k)["detail"]["job_id"]) for k in keys]  # type: ignore[index]


def _unique_name(path: Path, index: int) -> str:
    return f"{index:04d}/{path.name}"


class _ProgressBar:
    """A tqdm bar over pages settled, refreshed from the job items between pumps."""

    def __init__(self, stack: LocalStack, documents: int) -> None:
        from tqdm import tqdm

        self.store = JobStore(stack.aws.dynamodb, stack.settings.table_name)
        self.bar = tqdm(total=0, unit="page", desc=f"{documents} document(s)", leave=False)

    def __call__(self) -> None:
        jobs = self.store.list_jobs(limit=1000)
        total = sum(j.pages_total for j in jobs)
        settled = sum(j.pages_done + j.pages_failed for j in jobs)
        if total != self.bar.total:
            self.bar.total = total
        self.bar.n = settled
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
