"""What commands print: text for people, JSON for scripts, SARIF and GitHub workflow commands for CI.

Every JSON document a command prints names its `schema` (`insights.<command>/1`); keys are only added
within a version, never renamed or removed. Text from the catalog or PagerDuty is untrusted: each format
escapes it its own way (`text.cell` for terminals, `sarif.message`, `github.escape_data`).
"""
