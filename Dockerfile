# One image for the code server, webserver, daemon and MLflow server.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 DAGSTER_HOME=/opt/dagster/home CORRPLAT_HOME=/opt/corrplat
WORKDIR /opt/dagster/app
COPY pyproject.toml constraints.txt README.md ./
COPY correlation_platform ./correlation_platform
# Set PIP_EXTRA_INDEX_URL to PyTorch's CPU wheel index at build time to keep CUDA out of
# the image (torch==2.13.0 is pinned in constraints.txt either way).
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install -c constraints.txt .
COPY docker/dagster.yaml ${DAGSTER_HOME}/dagster.yaml
COPY docker/workspace.yaml ./docker/workspace.yaml
