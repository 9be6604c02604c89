"""A bundled, data-driven county 政务公开 portal built from the seed reports, served locally."""
