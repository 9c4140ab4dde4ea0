-- The MLflow backend lives beside Dagster's storage in the same Postgres server.
CREATE DATABASE mlflow OWNER corrplat;
