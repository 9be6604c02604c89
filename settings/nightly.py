"""Nightly incremental crawls: the default, revisiting stored pages with conditional requests.

Report pages and attachments already stored are revalidated daily in the months reports are due
(January to March) and monthly otherwise; list pages every night (crawler.replay).
"""

from settings.default import *  # noqa: F403

LOG_LEVEL = "INFO"
NIANBAO_PROGRESS = "off"  # cron and systemd have no terminal
NIANBAO_INCREMENTAL = True
NIANBAO_MAX_PAGES = 3000  # an unattended run never crawls a host (or a trap on it) without end
NIANBAO_REVALIDATE_DAYS_PEAK = 1.0
NIANBAO_REVALIDATE_DAYS_OFFPEAK = 30.0
