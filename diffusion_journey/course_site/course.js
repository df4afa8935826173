// The course pages: subtitles and chapters on the video, a transcript that seeks and follows it, explorers.
// Plain script, no framework; the page's data is embedded (a <track src> would be refused from file://).
"use strict";

const data = JSON.parse(document.getElementById("page-data").textContent);
const video = document.getElementById("video");

function addTrack(kind, label, cues, mode) {
  const track = video.addTextTrack(kind, label, "en");
  for (const [start, end, text] of cues) track.addCue(new VTTCue(start, end, text));
  track.mode = mode;
  return track;
}

function seek(seconds) {
  video.currentTime = seconds;
  video.play().catch(() => {}); // autoplay may be refused; the position is set either way
}

// The items (sentences, chapters) whose [start, end) holds the time get "current".
function follow(items, time) {
  let current = null;
  for (const el of items) {
    if (Number(el.dataset.start) <= time) current = el;
  }
  for (const el of items) {
    const on = el === current && time < Number(el.dataset.end) + 0.5;
    el.classList.toggle("current", on);
    if (on) el.setAttribute("aria-current", "true");
    else el.removeAttribute("aria-current");
  }
  return current;
}

if (video) {
  addTrack("subtitles", "English", data.subtitles, "showing");
  if (data.chapters.length) addTrack("chapters", "Chapters", data.chapters, "hidden");
  const sentences = [...document.querySelectorAll(".sentence")];
  const chapters = [...document.querySelectorAll(".chapters li")];
  for (const el of document.querySelectorAll(".sentence, .seek")) {
    el.addEventListener("click", () => seek(Number(el.dataset.start)));
  }
  for (const el of sentences) { // spans acting as buttons: Enter and Space too
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); seek(Number(el.dataset.start)); }
    });
  }
  let last = null;
  video.addEventListener("timeupdate", () => {
    const now = follow(sentences, video.currentTime);
    follow(chapters, video.currentTime);
    // Keep the spoken sentence in view while playing, without pulling the page about on every tick.
    if (now && now !== last && !video.paused && now.classList.contains("current")) {
      now.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
    last = now;
  });
}

// An explorer: a range input (arrow keys, drag, touch come with it) over the values of one knob; the tiles
// of the current value are cut from the sprite sheet (row = value, column = tile) and the figure shown.
function explorer(spec) {
  const root = document.getElementById(spec.id);
  const input = root.querySelector("input[type=range]");
  const output = root.querySelector("output");
  const canvases = [...root.querySelectorAll("canvas")];
  const [w, h] = spec.tile;
  const sheet = new Image();
  function show() {
    const i = Number(input.value);
    input.setAttribute("aria-valuetext", spec.values[i]);
    output.textContent = spec.figures[i];
    root.dataset.value = String(i);
    if (!sheet.complete || !sheet.naturalWidth) return;
    canvases.forEach((canvas, j) => {
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(sheet, j * w, i * h, w, h, 0, 0, w, h);
    });
    root.dataset.shown = String(i);
  }
  sheet.addEventListener("load", show);
  sheet.src = spec.sheet;
  input.addEventListener("input", show);
  show();
}

(data.explorers || []).forEach(explorer);
