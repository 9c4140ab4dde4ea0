# One image for the code server, webserver, daemon and MLflow server.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 DAGSTER_HOME=/opt/dagster/home CORRPLAT_HOME=/opt/corrplat
WORKDIR /opt/dagster/app
COPY pyproject.toml constraints.txt requirements.lock README.md ./
COPY correlation_platform ./correlation_platform
# The image is exactly requirements.lock (hash-checked), then the project without dependencies.
# The lock's torch is the CPU build 2.13.0+cpu, which PyPI does not serve: build with
# TORCH_INDEX set to PyTorch's CPU wheel index (docker compose build --build-arg TORCH_INDEX=...)
# or the install stops at torch; the lock's --find-links names the project machines' folder.
ARG TORCH_INDEX=""
RUN pip install --require-hashes --no-deps ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} \
        -r requirements.lock \
    && pip install --no-deps --no-build-isolation . \
    && pip check
COPY docker/dagster.yaml ${DAGSTER_HOME}/dagster.yaml
COPY docker/workspace.yaml ./docker/workspace.yaml
