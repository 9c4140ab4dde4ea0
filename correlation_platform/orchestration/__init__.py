"""Dagster only: assets, checks, jobs, schedules, sensors, resources, IO manager."""
