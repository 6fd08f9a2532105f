"""``python -m livechart``: copy plotly.js into the app's static/ folder before
serving (the container image and deploy/serve.sh do), and print its address."""
from livechart import plotly_js_url

print(plotly_js_url())
