"""CLI commands fit / localize / evaluate / compare / demo (issue 3)."""
