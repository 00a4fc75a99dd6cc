# syntax=docker/dockerfile:1
# cellbot: `docker build -t cellbot .`, then see compose.yaml (bot + PostgreSQL) or
# README "Running in production". The image runs `cellbot run` as an unprivileged user.

# ---------------------------------------------------------------- build: a virtualenv
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/cellbot
WORKDIR /src
COPY . .
# The pinned versions of requirements.lock (reproducible images), then cellbot itself
# without resolving anything again.
RUN /opt/cellbot/bin/pip install -r requirements.lock \
    && /opt/cellbot/bin/pip install --no-deps . \
    && /opt/cellbot/bin/cellbot --help > /dev/null

# ---------------------------------------------------------------- runtime
FROM python:3.11-slim
# pg_dump for `cellbot db backup` on PostgreSQL (Debian 12's client is 15, like compose.yaml's
# server; pg_dump refuses a server newer than itself).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system cellbot \
    && useradd --system --gid cellbot --home-dir /var/lib/cellbot --create-home \
        --shell /usr/sbin/nologin cellbot
COPY --from=build /opt/cellbot /opt/cellbot
ENV PATH=/opt/cellbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CELLBOT_HOME=/var/lib/cellbot \
    MPLCONFIGDIR=/var/lib/cellbot/.cache/matplotlib
# The home. With SQLite (no DATABASE_URL) the database is data/cellbot.db in it: mount a
# volume there (-v cellbot-home:/var/lib/cellbot). compose.yaml uses PostgreSQL instead.
WORKDIR /var/lib/cellbot
USER cellbot
# Webhook mode only (WEBHOOK_LISTEN=0.0.0.0 inside a container); polling needs no port.
EXPOSE 8443
# Database reachable, schema current, reminder dispatcher ticking (see `cellbot health`).
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s --retries=3 \
    CMD ["cellbot", "health"]
ENTRYPOINT ["cellbot"]
CMD ["run"]
