"""Fetching: spiders, discovery rules, downloader middlewares and the `nianbao` CLI."""
