"""A synthetic B2B world with planted ICP segments, written as real CRM exports.

``make_world`` builds it in memory; ``generate`` writes it as files (accounts.csv with
Salesforce API names, deals.csv and contacts.csv with HubSpot labels, leads.csv,
contact_roles.csv, outcomes.csv, feedback.csv, training.csv, universe.parquet) plus
truth.json, the planted segments, anti-ICP, noise and committee that tests check recovery
against. See docs/synth.md.
"""

from ._enrich_case import EnrichmentCase, enrichment_case
from ._planted import (
    ANTI_ICP,
    MANUFACTURING_SAP,
    MIDMARKET_FS,
    RETAIL_SHOPIFY,
    SEGMENTS,
    Rule,
    matches,
)
from ._world import FILES, World, generate, make_world

__all__ = [
    "ANTI_ICP",
    "FILES",
    "MANUFACTURING_SAP",
    "MIDMARKET_FS",
    "RETAIL_SHOPIFY",
    "SEGMENTS",
    "EnrichmentCase",
    "Rule",
    "World",
    "enrichment_case",
    "generate",
    "make_world",
    "matches",
]
