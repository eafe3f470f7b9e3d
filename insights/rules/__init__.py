"""Checks: declarative rules over facts, in Backstage Tech Insights' json-rules-engine condition format."""
