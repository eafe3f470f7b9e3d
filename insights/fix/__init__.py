"""`insights fix`: from a failing PagerDuty check to a ready patch.

signals (evidence per entity and service) -> matching (suggestions, one-to-one, ambiguity) -> plan (the
edits per file, made by yamledit and confined by roots) -> diffs (patches `git apply` accepts) or files
edited in place; waive adds waiver annotations the same way; job ties them to crawl and PagerDuty.
"""
