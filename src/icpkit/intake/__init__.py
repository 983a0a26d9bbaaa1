"""Intake: read CRM exports and tables, recognise their columns, normalise their values."""
