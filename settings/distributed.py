"""Several crawler processes sharing one crawl: Redis frontier (scrapy-redis) + PostgreSQL.

`nianbao crawl --settings settings.distributed` shares the frontier at NIANBAO_FRONTIER unless
`--frontier` / `NIANBAO_REDIS_URL` names another; `crawler.frontier.configure_frontier` then sets the
scrapy-redis scheduler (leased pops), the Redis seen-URL filter and the crawl-wide per-host limiter.
"""

from settings.default import *  # noqa: F403

NIANBAO_FRONTIER = "redis://127.0.0.1:6379/0"
NIANBAO_IDLE_CLOSE_SECONDS = 30.0  # close once the shared frontier has been empty this long
NIANBAO_FRONTIER_LEASE_SECONDS = 60.0  # a dead worker's requests go back to the queue after this
NIANBAO_PROGRESS = "off"
