// Scrub a hyperparameter in the browser (see scrub.py, figures/scrub.py). The race
// figure's layout.meta.scrub holds every run of a family (one racer at each value of
// its learning rate, momentum or beta1) as typed arrays (float32, the losses float64);
// its extra sliders ("scrub lr", ...) use method "skip", so moving one only tells us
// its value. No server is needed to scrub: the exported HTML runs this same code.
//
// Where the time goes (bench/bench_scrub.py, a Chromium CPU profile): any Plotly
// call that changes a trace's data (restyle, react, a frame-less animate) runs
// supplyDefaults and calc over the whole figure (the 3,600-point click grid, the
// surface) before it draws the one trace: ~150 ms a change on this machine, and a
// 3-D change (redraw: true) replots both views, ~1-2 s. So a change here draws
// without Plotly's update path, from the typed arrays already in the page:
// - the map and the loss chart: one SVG path each, owned by this file, in the
//   subplot's clipped plot group, its points projected by the subplot's own axes
//   (xaxis.c2p, as Plotly's scatter lines are). At most one draw per animation
//   frame, of the latest value; Plotly's trace stays empty, so a Plotly redraw
//   never draws it twice; after one (a resize moves the axes) the path is projected
//   again. The values drawn stay on the element (el.__values) for tests.
// - the 3-D path once the slider rests for SCRUB_REST ms or is released (a scene
//   render in software WebGL takes 100-300 ms of the GPU process and holds up the
//   page's next frames, so not while the slider moves): the trace's data is set in
//   gd.data (a later Plotly redraw draws the same), only its WebGL object is updated
//   and the scene rendered; the camera, axes and surface are not touched.
// Releasing a slider calls onRelease with the value (the app makes it the racer's
// setting: one server run).
const SCRUB_REST = 400;
const SCRUB_SVG = "http://www.w3.org/2000/svg";

function scrubMeta(t) {
  const m = t && t.meta;
  if (typeof m === "string") { try { return JSON.parse(m); } catch (e) { return {}; } }
  return m || {};
}

function scrubF32(s, Type = Float32Array) {
  if (!s) return new Type(0);
  const b = atob(s);
  const u = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
  return new Type(u.buffer);
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
    X: scrubF32(p.x), Y: scrubF32(p.y), Z: scrubF32(p.z), S: scrubF32(p.step), L: scrubF32(p.loss, Float64Array),
  }));
  gd.__scrub = { src: m, params, map: scrubIndex(gd, "2d"), scene: scrubIndex(gd, "3d"), latest: null,
                 pending: null, frame: 0, timer: 0 };
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

// Liang-Barsky: the part of the segment (ax, ay)-(bx, by) inside box [x0, x1] x [y0, y1], or null.
function scrubClip(ax, ay, bx, by, x0, x1, y0, y1) {
  let t0 = 0, t1 = 1;
  const dx = bx - ax, dy = by - ay;
  const edges = [[-dx, ax - x0], [dx, x1 - ax], [-dy, ay - y0], [dy, y1 - ay]];
  for (const [p, q] of edges) {
    if (p === 0) { if (q < 0) return null; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return null; if (r > t0) t0 = r; } else { if (r < t0) return null; if (r < t1) t1 = r; }
  }
  return [ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy];
}

// The SVG path of the points (xs[k], ys[k]) on axes xa, ya: pixels as Plotly's scatter
// lines have them (c2p, two decimals), each segment clipped to a box three times the
// plot area (a diverging run's 1e30 makes no huge numbers; the plot area clips what is
// drawn), a point the axis cannot place (a log axis at 0) breaks the line.
function scrubPath(xa, ya, xs, ys) {
  const w = xa._length, h = ya._length;
  const r = (v) => Math.round(v * 100) / 100;
  let d = "", penX = NaN, penY = NaN, px = NaN, py = NaN;
  for (let k = 0; k < xs.length; k++) {
    const qx = xa.c2p(xs[k]), qy = ya.c2p(ys[k]);
    if (Number.isFinite(px) && Number.isFinite(py) && Number.isFinite(qx) && Number.isFinite(qy)) {
      const c = scrubClip(px, py, qx, qy, -w, 2 * w, -h, 2 * h);
      if (c) {
        if (c[0] !== penX || c[1] !== penY) d += "M" + r(c[0]) + "," + r(c[1]);
        d += "L" + r(c[2]) + "," + r(c[3]);
        penX = c[2]; penY = c[3];
      }
    }
    px = qx; py = qy;
  }
  return d;
}

// Draw (or, with xs null, remove) the preview line of trace i of chart gd.
function scrubLine(gd, i, xs, ys) {
  const lines = gd.__scrubLines || (gd.__scrubLines = {});
  let el = lines[i];
  if (!xs) { if (el) { el.remove(); delete lines[i]; } return null; }
  const t = gd.data[i];
  const plot = gd._fullLayout && gd._fullLayout._plots && gd._fullLayout._plots[(t.xaxis || "x") + (t.yaxis || "y")];
  if (!plot || !plot.plot) return null;
  if (!el) {
    el = lines[i] = document.createElementNS(SCRUB_SVG, "path");
    el.setAttribute("class", "scrub-line");
    const line = t.line || {};
    el.style.cssText = `fill: none; stroke: ${line.color || "#444"}; stroke-width: ${line.width || 2}px; `
      + "stroke-linejoin: round; pointer-events: none";
  }
  if (!gd.__scrubAfterplot || gd.__scrubAfterplot !== gd._ev) {   // Plotly.purge drops listeners
    gd.__scrubAfterplot = gd._ev;
    gd.on("plotly_afterplot", () => scrubReproject(gd));
  }
  const g = plot.plot.node();
  if (el.parentNode !== g) g.appendChild(el);
  el.__values = { x: xs, y: ys };
  el.setAttribute("d", scrubPath(plot.xaxis, plot.yaxis, xs, ys));
  return el;
}

// After a Plotly redraw (a resize moves the axes; a new plot group): project again.
function scrubReproject(gd) {
  for (const [i, el] of Object.entries(gd.__scrubLines || {})) scrubLine(gd, Number(i), el.__values.x, el.__values.y);
}

// The map's and the loss chart's lines at the latest value: at most once per frame.
function scrubDraw(gd, s) {
  s.frame = 0;
  const w = s.pending;
  if (!w || !gd.isConnected) return;
  s.pending = null;
  if (s.map >= 0) scrubLine(gd, s.map, w.x, w.y);
  const loss = scrubLossChart();
  if (loss) scrubLine(loss.gd, loss.i, w.step, w.loss);
  gd.dataset.scrubDrawn = String(Number(gd.dataset.scrubDrawn || 0) + 1);
  if (window.__scrubTimes && window.__lastInput !== undefined) {
    const t = window.__lastInput;   // the frame after this one: the path is on screen
    requestAnimationFrame(() => window.__scrubTimes.push(performance.now() - t));
  }
}

// The 3-D path: its data in gd.data (a later Plotly redraw draws the same), then only
// its WebGL object updated (created the first time, from the scene's own line trace's
// defaults) and the scene rendered. Without those internals: a Plotly 3-D redraw.
function scrubScene(gd, s, w) {
  const i = s.scene;
  if (i < 0 || !w || !gd.isConnected) return;
  gd.data[i] = Object.assign({}, gd.data[i], { x: w.x3, y: w.y3, z: w.z });
  const t0 = performance.now();
  const done = () => {
    gd.dataset.scrubFollowed = String(Number(gd.dataset.scrubFollowed || 0) + 1);
    gd.dataset.scrubSceneMs = (performance.now() - t0).toFixed(1);   // for bench/bench_scrub.py
  };
  const t = gd.data[i];
  const scene = gd._fullLayout[t.scene || "scene"] && gd._fullLayout[t.scene || "scene"]._scene;
  const like = (gd._fullData || []).find((f) => f.type === "scatter3d" && f.visible === true && f._module
                                          && f._module.plot && /lines/.test(f.mode || ""));
  if (!scene || !scene.glplot || !scene.traces || !like) {
    window.Plotly.animate(gd, { data: [{ x: w.x3, y: w.y3, z: w.z }], traces: [i] },
      { mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 } })
      .catch(() => {}).then(done);
    return;
  }
  const full = Object.assign({}, like, {
    uid: t.uid, index: i, _expandedIndex: i, _input: t, name: t.name, meta: t.meta, x: w.x3, y: w.y3, z: w.z,
    _length: w.z.length, visible: true, mode: "lines", opacity: 1, hoverinfo: "skip", text: undefined,
    hovertext: undefined, customdata: undefined, line: Object.assign({}, like.line, t.line, { dash: "solid" }),
  });
  let obj = scene.traces[t.uid];
  if (obj && full._length) {
    obj.update(full);
    // no new hover-picking pass for a line that has no hover (hoverinfo "skip"): in
    // software WebGL its read-back costs ~200 ms of the page's thread; the other traces'
    // picking is unchanged, and the next full render (camera, Play) repicks everything
    for (const k of ["linePlot", "scatterPlot", "textMarkers", "errorBars", "delaunayMesh"]) {
      if (obj[k]) obj[k].dirty = false;
    }
  } else if (full._length) {
    obj = scene.traces[t.uid] = full._module.plot(scene, full);
    obj.name = full.name;
    scene.glplot.objects.sort((a, b) => a._trace.data.index - b._trace.data.index);
  } else if (obj) {
    obj.dispose();
    delete scene.traces[t.uid];
  }
  scene.glplot.redraw();
  done();
}

function scrubShow(gd, ev) {
  const hit = scrubParam(gd, ev);
  if (!hit) return;
  const { s, p, m } = hit;
  // the other sliders go back to the racer's own value: the preview varies one at a time
  const reset = {};
  (gd.layout.sliders || []).forEach((sl, j) => {
    const q = s.params.find((r) => "scrub " + r.name === sl.name);
    if (q && q !== p && gd._fullLayout.sliders[j].active !== q.current) reset[`sliders[${j}].active`] = q.current;
  });
  if (Object.keys(reset).length) window.Plotly.relayout(gd, reset).catch(() => {});
  gd.dataset.scrub = p.name + "=" + p.values[m];
  s.latest = s.pending = scrubMember(p, m);
  if (!s.frame) s.frame = requestAnimationFrame(() => scrubDraw(gd, s));
  clearTimeout(s.timer);
  s.timer = setTimeout(() => scrubScene(gd, s, s.latest), SCRUB_REST);
}

// A new figure (Plotly.react with the server's figure, its sliders at the racer's own
// values): no preview is left from the old one.
function scrubClear(gd) {
  const s = gd.__scrub;
  if (s) { cancelAnimationFrame(s.frame); clearTimeout(s.timer); s.frame = 0; s.pending = s.latest = null; }
  for (const i of Object.keys(gd.__scrubLines || {})) scrubLine(gd, Number(i), null);
  const loss = scrubLossChart();
  if (loss && s) for (const i of Object.keys(loss.gd.__scrubLines || {})) scrubLine(loss.gd, Number(i), null);
}

function scrubSetup(gd, onRelease) {
  gd.__scrubRelease = onRelease;
  scrubData(gd);   // decoded now, not on the first move
  if (gd.__scrubOn && gd.__scrubOn === gd._ev) return;   // Plotly.purge (a newPlot) drops listeners
  gd.__scrubOn = gd._ev;
  gd.on("plotly_sliderchange", (ev) => scrubShow(gd, ev));
  gd.on("plotly_sliderend", (ev) => {
    const hit = scrubParam(gd, ev);
    if (hit && hit.s.latest) { clearTimeout(hit.s.timer); scrubScene(gd, hit.s, hit.s.latest); }
    if (!hit || hit.m === hit.p.current || !gd.__scrubRelease) return;
    gd.__scrubRelease({ racer: hit.s.src.racer, param: hit.p.name, value: hit.p.values[hit.m] });
  });
}
