"""The deduplicator: one canonical report per (agency, year), every copy and version linked.

A pure library (no Scrapy), used by the pipelines and by `nianbao dedup`.
"""
