"""insights: Tech Insights scorecards for a Backstage catalog wired to PagerDuty."""

__version__ = "0.1.0"
