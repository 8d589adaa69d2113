"""Test helpers shared across suites: servers on loopback, builders."""
