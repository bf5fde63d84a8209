"""City-scale benchmark (`make bench`): a synthetic city of 7,000 grids, up to millions of
cases, and the figures that matter measured side by side. See docs/benchmarks.md."""
