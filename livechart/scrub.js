// Scrub a hyperparameter in the browser (see scrub.py, figures/scrub.py). The race
// figure's layout.meta.scrub holds every run of a family (one racer at each value of
// its learning rate, momentum or beta1) as float32 typed arrays; its extra sliders
// ("scrub lr", ...) use method "skip", so moving one only tells us its value. Each
// change redraws the racer's preview path on the map at once (a frame-less
// Plotly.animate of that one 2-D trace, which leaves the 3-D scene alone), then the
// 3-D path and the loss chart's preview as soon as the browser is free (a 3-D redraw
// costs ~150 ms in software WebGL). Releasing a slider calls onRelease with the
// value (the app makes it the racer's setting: one server run). No server is needed
// to scrub: the exported HTML runs this same code.
function scrubMeta(t) {
  const m = t && t.meta;
  if (typeof m === "string") { try { return JSON.parse(m); } catch (e) { return {}; } }
  return m || {};
}

function scrubF32(s) {
  if (!s) return new Float32Array(0);
  const b = atob(s);
  const u = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
  return new Float32Array(u.buffer);
}

function scrubIndex(gd, view) {
  return (gd.data || []).findIndex((t) => { const m = scrubMeta(t); return m.role === "scrub" && m.view === view; });
}

function scrubData(gd) {
  const m = gd.layout && gd.layout.meta && gd.layout.meta.scrub;
  if (!m) return null;
  if (gd.__scrub && gd.__scrub.src === m) return gd.__scrub;
  gd.dataset.scrubDecoded = String(Number(gd.dataset.scrubDecoded || 0) + 1);
  const params = m.params.map((p) => Object.assign({}, p, {
    X: scrubF32(p.x), Y: scrubF32(p.y), Z: scrubF32(p.z), S: scrubF32(p.step), L: scrubF32(p.loss),
  }));
  gd.__scrub = { src: m, params, map: scrubIndex(gd, "2d"), scene: scrubIndex(gd, "3d"), latest: null, timer: 0 };
  return gd.__scrub;
}

function scrubParam(gd, ev) {
  const s = scrubData(gd);
  const name = ev && ev.slider && String(ev.slider.name || "");
  if (!s || !name.startsWith("scrub ")) return null;
  const p = s.params.find((q) => "scrub " + q.name === name);
  return p ? { s, p, m: Number(ev.step.value) } : null;
}

function scrubMember(p, m) {
  const a = p.offsets[m], b = p.offsets[m + 1], c = a + p.inside[m];
  return { x: p.X.subarray(a, b), y: p.Y.subarray(a, b), x3: p.X.subarray(a, c), y3: p.Y.subarray(a, c),
           z: p.Z.subarray(a, c), step: p.S.subarray(a, b), loss: p.L.subarray(a, b) };
}

function scrubLossChart() {
  const gd = document.querySelector(".st-key-loss .js-plotly-plot");
  if (!gd || !gd._fullLayout) return null;
  const i = scrubIndex(gd, "loss");
  return i >= 0 ? { gd, i } : null;
}

// The loss chart (another chart: cheap) follows at the next animation frame; the
// 3-D path (a scene redraw: ~150 ms in software WebGL) once the slider rests for
// SCRUB_REST ms or is released, so it never holds up the map.
const SCRUB_REST = 200;

function scrubLoss(s) {
  if (s.lossQueued) return;
  s.lossQueued = true;
  requestAnimationFrame(() => {
    s.lossQueued = false;
    const loss = scrubLossChart();
    if (loss && s.latest) {
      window.Plotly.animate(loss.gd, { data: [{ x: s.latest.step, y: s.latest.loss }], traces: [loss.i] },
        { mode: "immediate", frame: { duration: 0, redraw: false }, transition: { duration: 0 } }).catch(() => {});
    }
  });
}

function scrubScene(gd, s) {
  clearTimeout(s.timer);
  s.timer = setTimeout(() => {
    const w = s.latest;
    if (s.scene < 0 || !w) return;
    window.Plotly.animate(gd, { data: [{ x: w.x3, y: w.y3, z: w.z }], traces: [s.scene] },
      { mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 } })
      .catch(() => {})
      .then(() => { gd.dataset.scrubFollowed = String(Number(gd.dataset.scrubFollowed || 0) + 1); });
  }, SCRUB_REST);
}

function scrubShow(gd, ev) {
  const hit = scrubParam(gd, ev);
  if (!hit) return;
  const { s, p, m } = hit;
  const w = scrubMember(p, m);
  // the other sliders go back to the racer's own value: the preview varies one at a time
  const reset = {};
  (gd.layout.sliders || []).forEach((sl, j) => {
    const q = s.params.find((r) => "scrub " + r.name === sl.name);
    if (q && q !== p && gd._fullLayout.sliders[j].active !== q.current) reset[`sliders[${j}].active`] = q.current;
  });
  if (Object.keys(reset).length) window.Plotly.relayout(gd, reset).catch(() => {});
  gd.dataset.scrub = p.name + "=" + p.values[m];
  if (s.map >= 0) {
    window.Plotly.animate(gd, { data: [{ x: w.x, y: w.y }], traces: [s.map] },
      { mode: "immediate", frame: { duration: 0, redraw: false }, transition: { duration: 0 } })
      .catch(() => {})
      .then(() => requestAnimationFrame(() => {
        gd.dataset.scrubDrawn = String(Number(gd.dataset.scrubDrawn || 0) + 1);
        if (window.__scrubTimes && window.__lastInput !== undefined) {
          window.__scrubTimes.push(performance.now() - window.__lastInput);
        }
      }));
  }
  s.latest = w;
  scrubLoss(s);
  scrubScene(gd, s);
}

function scrubSetup(gd, onRelease) {
  gd.__scrubRelease = onRelease;
  if (gd.__scrubOn) return;
  gd.__scrubOn = true;
  gd.on("plotly_sliderchange", (ev) => scrubShow(gd, ev));
  gd.on("plotly_sliderend", (ev) => {
    const hit = scrubParam(gd, ev);
    if (!hit || hit.m === hit.p.current || !gd.__scrubRelease) return;
    gd.__scrubRelease({ racer: hit.s.src.racer, param: hit.p.name, value: hit.p.values[hit.m] });
  });
}
