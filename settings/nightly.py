"""Nightly incremental crawls: the default, revisiting stored pages with conditional requests."""

from settings.default import *  # noqa: F403

LOG_LEVEL = "INFO"
NIANBAO_PROGRESS = "off"  # cron and systemd have no terminal
