"""Where score requests are scored: small ones on the event loop, big ones on a worker
thread, coalesced while one runs (group commit, as databases do for writes).

With the compiled profile (icpkit.compiled) a record costs well under a millisecond of CPU
(88 µs with values new to the service in benchmarks/service_load.py), so requests of up to
``INLINE_MAX`` records are scored right where they arrive rather than handed to a thread
and back: a thread waiting for the GIL can wait a whole switch interval (5 ms by default).
Bigger ones, and records whose field names have no plan yet or need the whole intake path
(milliseconds), go to the worker thread so the loop keeps serving; requests that arrive
while it runs go together in its next call. Results are exactly those of scoring each
request alone (see ``Service.score_requests``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from .core import Service
from .scoring import ScoredRecords

__all__ = ["Coalescer"]

Records = Sequence[Mapping[str, Any]]


#: Requests of at most this many records are scored on the event loop (when compiled).
INLINE_MAX = 64


class Coalescer:
    """Scores small requests on the event loop; queues the others for one worker thread,
    which scores them in batches."""

    def __init__(self, service: Service, max_records: int = 10_000) -> None:
        self.service = service
        self.max_records = max_records
        self._queue: list[tuple[Records, asyncio.Future[tuple[int, ScoredRecords]]]] = []
        self._busy = False
        self._task: asyncio.Task[None] | None = None

    async def score(self, records: Records) -> tuple[int, ScoredRecords]:
        if len(records) <= INLINE_MAX and self.service.compiled_for(records):
            [answer] = self.service.score_requests([records])
            return answer
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, ScoredRecords]] = loop.create_future()
        self._queue.append((records, future))
        if not self._busy:
            self._busy = True
            # Keep a reference: the loop holds tasks weakly, a dropped one may vanish mid-run.
            self._task = loop.create_task(self._drain())
        return await future

    def _take(self) -> list[tuple[Records, asyncio.Future[tuple[int, ScoredRecords]]]]:
        taken: list[tuple[Records, asyncio.Future[tuple[int, ScoredRecords]]]] = []
        size = 0
        while self._queue and (not taken or size + len(self._queue[0][0]) <= self.max_records):
            item = self._queue.pop(0)
            taken.append(item)
            size += len(item[0])
        return taken

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch = self._take()
                requests = [records for records, _ in batch]
                try:
                    answers = await loop.run_in_executor(
                        None, self.service.score_requests, requests
                    )
                except Exception:  # one bad request must not fail its neighbours: alone
                    await self._one_by_one(batch)
                    continue
                for (_, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._busy = False

    async def _one_by_one(
        self, batch: list[tuple[Records, asyncio.Future[tuple[int, ScoredRecords]]]]
    ) -> None:
        loop = asyncio.get_running_loop()
        for records, future in batch:
            try:
                [answer] = await loop.run_in_executor(None, self.service.score_requests, [records])
            except Exception as exc:  # handed to the request's own handler
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(answer)
