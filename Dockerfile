# The app in a container, with the tested versions (requirements-lock.txt), served the way
# a class is (README "Serving a large class"): deploy/serve.sh runs supervisord, which keeps
# two app processes per core and nginx running (nginx serves the static files, gzip'd).
#   docker build -t loss-landscapes .
#   docker run --rm -p 8501:8501 loss-landscapes      # then open http://localhost:8501
#   docker run --rm -p 8501:8501 loss-landscapes deploy/serve.sh -a 0.0.0.0 -n 8   # 8 processes
FROM python:3.11-slim

# Debian's Chromium: kaleido needs it for the PNG/SVG downloads (the rest works without);
# nginx in front of the app processes; curl for serve.sh's health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium nginx curl \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home app
WORKDIR /home/app/src
COPY requirements.txt requirements-lock.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c requirements-lock.txt
COPY --chown=app:app . .
USER app
# plotly.js into the app's static/ folder (livechart.plotly_js_url), before the first visit
RUN python -m livechart
# the compiled engine's kernels, compiled once into numba's disk cache (engine/__pycache__)
RUN python -m engine.compiled

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
# serve.sh stays in the foreground under supervisord; a dead app process is restarted, never the container
CMD ["bash", "deploy/serve.sh", "-a", "0.0.0.0", "-p", "8501"]
