"""Predictive correlation matrices for portfolio rebalancing."""

__version__ = "0.1.0"
