"""Benchmarks run by `barnraise bench …`: each builds a cached data set, times a hot path in
several layers in one run, prints a table and writes JSON under bench/results/."""
