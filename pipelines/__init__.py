"""Scrapy item pipelines and the pure text functions behind them.

Data flow per response: store raw body + Fetch -> sniff kind -> decode -> extract text (HTML/PDF/Office)
-> parse report (extractor) -> dedup.
"""
