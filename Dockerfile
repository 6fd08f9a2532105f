# The app in a container, with the tested versions (requirements-lock.txt).
#   docker build -t loss-landscapes .
#   docker run --rm -p 8501:8501 loss-landscapes      # then open http://localhost:8501
FROM python:3.11-slim

# Debian's Chromium: kaleido needs it for the PNG/SVG downloads (the rest works without).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
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
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", \
     "--server.headless=true", "--browser.gatherUsageStats=false"]
