"""A synthetic B2B world with planted ICP segments, written as real CRM exports."""
