// The app's Plotly chart (see livechart/__init__.py). Streamlit calls this
// module's default export when the chart is mounted and again whenever its
// data (the figure) or the page's theme changes, with the same parentElement:
// the chart stays mounted and is updated with Plotly.react, which keeps its
// DOM, its WebGL context and 3-D scene. A trace whose uid is unchanged is
// handed back as the object Plotly already holds, so Plotly finds it unchanged.
const loading = {};

function loadPlotly(url) {
  if (!loading[url]) {
    loading[url] = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = new URL(url, document.baseURI).href;
      s.async = true;
      s.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not load")));
      s.onerror = () => { delete loading[url]; reject(new Error("plotly.js could not be loaded from " + url)); };
      document.head.appendChild(s);
    });
  }
  return loading[url];
}

// Streamlit sets its theme's colours as CSS variables around the component.
function isDark(el) {
  const bg = getComputedStyle(el).getPropertyValue("--st-background-color").trim();
  const m = /^#([0-9a-f]{6})/i.exec(bg);
  if (!m) return false;
  const n = parseInt(m[1], 16);
  return 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) < 128;
}

function in3d(trace) {
  return Boolean(trace.scene) || /3d$|^surface$|^mesh3d$|^cone$|^streamtube$|^isosurface$|^volume$/.test(trace.type || "");
}

function first(v) {
  return Array.isArray(v) ? v[0] : v;
}

function clickedPoints(ev) {
  return (ev.points || []).map((p) => ({
    x: p.x, y: p.y, curve_number: p.curveNumber, point_index: first(p.pointIndex),
  }));
}

// A presenter's clicker and the keyboard (presentation mode: the message's
// "keys"): PageDown/ArrowRight press the stage's next-lesson button,
// PageUp/ArrowLeft the previous one, space plays or pauses this chart's
// animation and Home shows step 0. Never while typing in a field or moving a
// focused slider, menu or list, and never with a modifier key held.
const KEYS = { PageDown: "next", ArrowRight: "next", PageUp: "prev", ArrowLeft: "prev", " ": "play", Home: "home" };
const FIELDS = "input, textarea, select, [contenteditable=''], [contenteditable='true'], "
  + "[role=slider], [role=combobox], [role=listbox], [role=option], [role=menu], [role=menuitem], [role=textbox]";

function keyAction(ev) {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.shiftKey || ev.isComposing) return null;
  const t = ev.target;
  if (t && t.closest && t.closest(FIELDS)) return null;
  return KEYS[ev.key] || null;
}

function playing(gd) {
  const tr = gd._transitionData;
  return Boolean(tr && tr._animationRaf && tr._frameQueue && tr._frameQueue.length);
}

function animateButton(gd, label) {
  const menu = (gd.layout.updatemenus || [])[0];
  return menu && menu.buttons.find((b) => b.method === "animate" && String(b.label).includes(label));
}

function onKey(st, ev) {
  const msg = st.msg;
  if (!msg || !msg.keys || !st.gd._fullLayout || !st.gd.isConnected) return;
  const act = keyAction(ev);
  if (!act) return;
  ev.preventDefault();   // no page scroll, no click of a focused button
  const gd = st.gd;
  if (act === "next" || act === "prev") {
    const b = document.querySelector(`.st-key-lesson_${act} button`);
    if (b && !b.disabled) b.click();
  } else if (act === "play") {
    const b = animateButton(gd, playing(gd) ? "Pause" : "Play");
    // a Pause interrupting Play rejects Play's promise (with undefined): expected
    if (b) window.Plotly.animate(gd, ...b.args).catch(() => {});
  } else if (act === "home") {
    const s = ((gd.layout.sliders || [])[0] || {}).steps || [];
    if (s.length) window.Plotly.animate(gd, ...s[0].args).catch(() => {});
  }
  gd.dataset.key = act;
}

// A click on a point of a racer's path (a trace whose meta.role is "path",
// its step in customdata) moves the animation to the last frame at or before
// that step: the markers, trails and step vectors show it (frames are at most
// 200 steps of the run; the step inspector shows the clicked step exactly).
function showClickedStep(gd, ev) {
  const p = (ev.points || [])[0];
  if (!p || !p.data) return;
  let meta = p.data.meta || {};
  if (typeof meta === "string") { try { meta = JSON.parse(meta); } catch (e) { return; } }
  const step = Number(first(p.customdata));
  if (meta.role !== "path" || !Number.isFinite(step)) return;
  let best = null;
  for (const s of ((gd.layout.sliders || [])[0] || {}).steps || []) {
    const n = Number(s.label);
    if (n <= step && (best === null || n > Number(best.label))) best = s;
  }
  if (best) window.Plotly.animate(gd, ...best.args).catch(() => {});
}

function width(host) {
  return Math.max(Math.round(host.getBoundingClientRect().width), 100);
}

export default async function livechart({ data, parentElement: host, setStateValue }) {
  const sent = data ? JSON.parse(new TextDecoder().decode(data)) : null;
  let st = host.__livechart;
  if (!st) {
    const gd = document.createElement("div");
    gd.className = "livechart";
    host.appendChild(gd);
    st = host.__livechart = { gd, seq: 0, msg: null, width: 0, ro: null };
  }
  const seq = ++st.seq;
  if (sent) st.msg = sent;   // a theme switch calls again with the same data
  const msg = st.msg;
  if (!msg) return cleanup(host, st);
  let Plotly;
  try {
    Plotly = await loadPlotly(msg.plotly);
  } catch (e) {
    st.gd.textContent = "The chart cannot be drawn: " + (e.message || e);
    return cleanup(host, st);
  }
  if (seq !== st.seq) return cleanup(host, st);   // a newer figure arrived meanwhile
  const gd = st.gd;
  const held = new Map((gd.data || []).map((t) => [t.uid, t]));
  // a scrub preview (scrub.js) is not handed back: the new figure starts without one
  const traces = msg.figure.data.map((t) => (scrubMeta(t).role !== "scrub" && held.get(t.uid)) || t);
  scrubClear(gd);
  st.width = width(host);
  const layout = Object.assign({}, msg.figure.layout, isDark(host) ? msg.dark : {}, { width: st.width });
  gd.style.height = (layout.height || 450) + "px";
  if (!gd._fullLayout && traces.some(in3d) && !traces.every(in3d)) {
    // A new chart with a 3-D scene: the map first, shown, then the scene (under
    // software WebGL the scene is most of a first draw).
    gd.dataset.drawn = "map";
    await Plotly.react(gd, { data: traces.filter((t) => !in3d(t)), layout, frames: [], config: msg.config });
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    if (seq !== st.seq) return cleanup(host, st);
  }
  const frames = msg.figure.frames || [];
  await Plotly.react(gd, { data: traces, layout, frames, config: msg.config });
  if (seq !== st.seq) return cleanup(host, st);
  // plotly.js drops the frames when the config changed (react then calls newPlot
  // without them: a new surface gives the PNG button a new file name): add them back
  const tr = gd._transitionData;
  if (frames.length && tr && !(tr._frames || []).length) await Plotly.addFrames(gd, frames);
  gd.dataset.drawn = "all";
  if (gd.layout.meta && gd.layout.meta.scrub) {
    scrubSetup(gd, (v) => setStateValue("scrub", Object.assign({}, v, { at: Date.now() })));
  }
  gd.dataset.draws = String(Number(gd.dataset.draws || 0) + 1);   // for tests: a new figure is drawn
  if (!st.ro) {
    gd.on("plotly_click", (ev) => {
      showClickedStep(gd, ev);
      setStateValue("selection", { points: clickedPoints(ev), at: Date.now() });
    });
    st.keydown = (ev) => onKey(st, ev);
    // a space handled on keydown must not also press a focused button on keyup
    st.keyup = (ev) => { if (st.msg && st.msg.keys && keyAction(ev) === "play") ev.preventDefault(); };
    document.addEventListener("keydown", st.keydown);
    document.addEventListener("keyup", st.keyup);
    st.ro = new ResizeObserver(() => {
      const w = width(host);
      if (Math.abs(w - st.width) > 1 && gd._fullLayout) {
        st.width = w;
        Plotly.relayout(gd, { width: w });
      }
    });
    st.ro.observe(host);
  }
  return cleanup(host, st);
}

// Streamlit keeps the cleanup of the latest call and runs it when the element
// is unmounted; a superseded call's cleanup it runs straight away. Only a chart
// no longer in the page is purged.
function cleanup(host, st) {
  return () => setTimeout(() => {
    if (host.isConnected || host.__livechart !== st) return;
    if (st.ro) st.ro.disconnect();
    if (st.keydown) document.removeEventListener("keydown", st.keydown);
    if (st.keyup) document.removeEventListener("keyup", st.keyup);
    if (window.Plotly) window.Plotly.purge(st.gd);
    delete host.__livechart;
  }, 0);
}
