// The page of python -m helpers.app: three tabs, each posting its values to one endpoint of
// helpers/inference/web.py and drawing the answer. Addresses are relative, so the page also works
// behind a notebook's proxy (Colab).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const NOT_ANSWERING = "the app is not answering: is python -m helpers.app still running?";

function element(tag, attributes = {}, text = "", namespace = null) {
  const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------- tabs
function selectTab(tab) {
  for (const other of document.querySelectorAll("[role=tab]")) {
    const chosen = other === tab;
    other.setAttribute("aria-selected", String(chosen));
    other.tabIndex = chosen ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
  }
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      selectTab(next);
      next.focus();
    });
  });
}

function visiblePanel() {
  return document.querySelector("[role=tabpanel]:not([hidden])");
}

// ---------------------------------------------------------------- requests
function showError(panel, message) {
  const alert = panel.querySelector(".error");
  alert.textContent = message;
  alert.hidden = false;
}

// Posts `body` to `path`; resolves with the answer's JSON, or shows its message in the panel's
// alert and resolves with null. The panel's button is disabled while the request is in flight.
async function ask(panel, path, body, contentType) {
  const button = panel.querySelector("button[type=submit]");
  panel.querySelector(".error").hidden = true;
  button.disabled = true;
  panel.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(path, { method: "POST", body, headers: { "Content-Type": contentType } });
    const answer = await response.json().catch(() => ({ error: `the app failed on this request (HTTP ${response.status}); its terminal says why` }));
    if (!response.ok || answer.error) throw new Error(answer.error);
    return answer;
  } catch (error) {
    showError(panel, error instanceof TypeError ? NOT_ANSWERING : error.message);
    return null;
  } finally {
    button.disabled = false;
    panel.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------- Generate
async function setUpGenerate() {
  const panel = document.getElementById("generate");
  const form = panel.querySelector("form");
  let info;
  try {
    info = await (await fetch("api/info")).json();
  } catch (error) {
    showError(panel, `${NOT_ANSWERING} Reload the page when it is.`);
    return;
  }
  panel.querySelector(".generator").textContent = info.generator;
  for (const name of info.expressions) form.expression.append(element("option", {}, name));
  form.expression.value = "Happiness";
  form.count.max = info.max_faces;
  form.truncate.checked = info.truncation !== null;
  form.truncation.value = info.truncation ?? 1.5;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = { expression: form.expression.value, count: form.count.value, seed: form.seed.value,
                     truncation: form.truncate.checked ? form.truncation.value : null };
    const answer = await ask(panel, "api/generate", JSON.stringify(values), "application/json");
    const result = panel.querySelector(".result");
    if (!answer) { result.hidden = true; return; }
    const gallery = panel.querySelector(".gallery");
    gallery.replaceChildren(...answer.faces.map((url, i) =>
      element("img", { src: url, alt: `${values.expression} face ${i + 1}`, width: 192, height: 192 })));
    const link = panel.querySelector(".archive");
    link.href = answer.archive.url;
    link.download = answer.archive.name;
    link.textContent = answer.archive.name;
    result.hidden = false;
  });
}

// ---------------------------------------------------------------- photos
// A photo chooser: a file, a drop, a paste (into the visible tab) or a webcam frame. The chosen
// photo is kept on the chooser as `photo = {blob, name}`.
function setUpPhotoPicker(drop) {
  const preview = drop.querySelector(".preview");
  const video = drop.querySelector(".live");
  const snap = drop.querySelector(".snap");
  const camera = drop.querySelector(".camera");

  function choose(blob, name) {
    drop.photo = { blob, name };
    drop.querySelector(".file-name").textContent = name;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(blob);
    preview.hidden = false;
  }
  drop.choose = choose;

  drop.querySelector("input[type=file]").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) choose(file, file.name);
  });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) choose(file, file.name);
  });

  if (!navigator.mediaDevices?.getUserMedia) {
    camera.hidden = true;  // no webcam outside a secure context (https or localhost)
    return;
  }
  camera.addEventListener("click", async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    } catch (error) {
      showError(drop.closest("section"), `no webcam: ${error.message}`);
      return;
    }
    video.hidden = snap.hidden = false;
    preview.hidden = true;
  });
  snap.addEventListener("click", () => {
    const canvas = element("canvas", { width: video.videoWidth, height: video.videoHeight });
    canvas.getContext("2d").drawImage(video, 0, 0);
    video.srcObject.getTracks().forEach((track) => track.stop());
    video.hidden = snap.hidden = true;
    canvas.toBlob((blob) => choose(blob, "webcam.png"), "image/png");
  });
}

function pasteIntoVisibleTab(event) {
  const drop = visiblePanel().querySelector(".drop");
  const file = [...(event.clipboardData?.files || [])][0];
  if (drop && file) drop.choose(file, file.name || "pasted.png");
}

function chart(record, index) {
  const rowHeight = 22, labelWidth = 70, barWidth = 220, width = labelWidth + barWidth + 50;
  const rows = Object.keys(record.probabilities).length;
  const svg = element("svg", { class: "chart", width, height: rowHeight * rows + 26, role: "img",
                               "aria-label": `face ${index}: ${record.label}` }, "", SVG);
  svg.append(element("text", { x: 0, y: 14, "font-weight": 600 }, `face ${index}: ${record.label}`, SVG));
  Object.entries(record.probabilities).forEach(([name, p], row) => {  // in the records' order, Angry to Neutral
    const y = 24 + row * rowHeight;
    svg.append(element("text", { x: 0, y: y + 14 }, name, SVG));
    svg.append(element("rect", { class: name === record.label ? "bar top" : "bar", x: labelWidth, y: y + 3,
                                 width: Math.max(1, p * barWidth), height: rowHeight - 6 }, "", SVG));
    svg.append(element("text", { x: labelWidth + p * barWidth + 6, y: y + 14 }, `${(100 * p).toFixed(1)}%`, SVG));
  });
  return svg;
}

function setUpPhotoTab(id, path, draw) {
  const panel = document.getElementById(id);
  panel.prepend(document.getElementById("photo-form").content.cloneNode(true));
  panel.querySelector("button[type=submit]").textContent = panel.dataset.action;
  const drop = panel.querySelector(".drop");
  setUpPhotoPicker(drop);
  panel.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { blob, name } = drop.photo ?? { blob: new Blob(), name: "" };  // none: the app says what to do
    const answer = await ask(panel, `${path}?name=${encodeURIComponent(name)}`, blob, "application/octet-stream");
    panel.querySelector(".result").hidden = !answer;
    if (answer) draw(panel, answer);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpTabs();
  setUpGenerate();
  setUpPhotoTab("recognize", "api/recognize", (panel, answer) => {
    panel.querySelector(".annotated").src = answer.annotated;
    panel.querySelector(".charts").replaceChildren(...answer.records.map((record, i) => chart(record, i + 1)));
    panel.querySelector(".records").textContent = JSON.stringify(answer.records, null, 2);
  });
  setUpPhotoTab("translate", "api/translate", (panel, answer) => {
    panel.querySelector(".sheet").src = answer.sheet;
  });
  document.addEventListener("paste", pasteIntoVisibleTab);
});
