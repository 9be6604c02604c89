"""Several crawler processes sharing one crawl: Redis frontier (scrapy-redis) + PostgreSQL."""

from settings.default import *  # noqa: F403

SCHEDULER = "scrapy_redis.scheduler.Scheduler"
DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
SCHEDULER_PERSIST = True
SCHEDULER_QUEUE_CLASS = "scrapy_redis.queue.PriorityQueue"
REDIS_URL = "redis://127.0.0.1:6379/0"
NIANBAO_PROGRESS = "off"
