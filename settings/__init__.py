"""Scrapy settings: `default` (embedded SQLite, polite), `nightly`, `distributed`."""
