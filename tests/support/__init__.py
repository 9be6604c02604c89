"""Shared test helpers: builders of documents, records, sites and corpora, crawls in subprocesses,
local services. Imported by test modules, conftest files and bench/; never a test module itself."""
