-- The MLflow backend lives beside Dagster's storage in the same Postgres server.
-- Runs as POSTGRES_USER, who then owns it.
CREATE DATABASE mlflow;
