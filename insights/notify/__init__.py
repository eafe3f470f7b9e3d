"""Tell the team when something breaks: after a run, each team hears what newly fails since the previous
run and where it stands, through a Slack-compatible incoming webhook or a generic JSON webhook.

    message.py   what to say, from a stored run's view (pure)
    formats/     how it looks: Slack Block Kit, the versioned generic JSON body
    send.py      how it travels: HTTP POST with bounded retries; the URL stays secret
    deliver.py   `notify_run`: all of the above for one stored run
"""

from insights.notify.deliver import Message, NotifyOutcome, notify_run
from insights.notify.settings import NotifySettings, settings_from

__all__ = ["Message", "NotifyOutcome", "NotifySettings", "notify_run", "settings_from"]
