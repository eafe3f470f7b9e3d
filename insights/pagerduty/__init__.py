"""PagerDuty REST API v2: client, bulk collector, state and snapshot, and a local simulator."""
