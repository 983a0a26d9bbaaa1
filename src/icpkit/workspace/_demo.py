"""`icp demo`: a synthetic world, a workspace for it, one run — the report from nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ._init import init_workspace
from ._pipeline import Stage, StageResult
from ._run import RunResult, run_workspace

__all__ = ["DEMO_MAPPINGS", "demo"]

# The synthetic exports use Salesforce/HubSpot names that intake recognises; these few
# mappings pin the keys that link the tables, so the demo never depends on a guess.
DEMO_MAPPINGS: dict[str, dict[str, str | None]] = {
    "accounts": {"Id": "account_id"},
    "deals": {"Associated Company IDs": "account_id", "Deal Stage": "stage"},
    "outcomes": {"Account ID": "account_id"},
}


def demo(
    out: str | os.PathLike[str],
    *,
    n_accounts: int = 3000,
    seed: int = 0,
    voice_method: str = "tfidf",
    on_event: Callable[[str, Stage, StageResult | None], None] | None = None,
) -> RunResult:
    """Generate the synthetic world into ``out/data``, write ``out/icp.yaml``, run it.

    The demo reads feedback with the lean TF-IDF method by default: it is quick and needs
    no optional extra; pass ``voice_method="auto"`` to use embeddings when installed.
    """
    from ..synth import generate

    ws = Path(out)
    files = generate(ws / "data", n_accounts=n_accounts, seed=seed)
    names = {Path(p).name for p in files.values()}
    tables = {
        kind: f"data/{kind}.csv"
        for kind in (
            "accounts",
            "outcomes",
            "deals",
            "leads",
            "contacts",
            "contact_roles",
            "feedback",
        )
        if f"{kind}.csv" in names
    }
    universe = "data/universe.parquet" if "universe.parquet" in names else None
    init_workspace(
        ws,
        force=True,
        name="Demo (synthetic world)",
        tables=tables,
        mappings=DEMO_MAPPINGS,
        success_table="accounts",
        target="won",
        universe=universe,
        voice_method=voice_method,
    )
    return run_workspace(ws, on_event=on_event)
