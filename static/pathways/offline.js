// Offline use on home visits. Registers the service worker; on a pathway page, has the
// pathway's data saved (its JSON from our API) and says so; and when there is no network,
// filters that saved data in the page instead of asking the server, for any combination of
// filters, with a notice saying the results come from the copy saved on a given date.
//
// No network means one of: the service worker answered the page from its saved copy (it
// marks <html data-offline-copy="<when saved>">), the browser says it is offline, or a
// request for filtered results failed.

import { canonicalQuery, filterEntries, renderResults } from "./offline-results.js";

const root = document.documentElement;
const form = document.getElementById("filters");
const source = document.querySelector('link[rel="alternate"][type="application/json"]');
const isPathwayPage = Boolean(form && source);
let offline = root.dataset.offlineCopy !== undefined || navigator.onLine === false;
let saved = null; // the pathway's saved data, once read

function dataUrls() {
  const pathway = new URL(source.href, window.location.href).href;
  return { pathway, entries: new URL("entries/", pathway).href };
}

function pageUrl() {
  return window.location.href.split("#")[0];
}

// Saving. -------------------------------------------------------------------------------

async function savePathway(registration) {
  const urls = dataUrls();
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => {
    channel.port1.onmessage = (event) => resolve(event.data);
  });
  registration.active.postMessage(
    { type: "save", page: pageUrl(), data: [urls.pathway, urls.entries] },
    [channel.port2],
  );
  const { saved: done } = await answer;
  root.dataset.offlineSaved = done ? "yes" : "no";
  if (done) showSaved();
}

function showSaved() {
  if (document.querySelector(".offline-saved")) return;
  const note = document.createElement("p");
  note.className = "nhsuk-body-s offline-saved";
  note.textContent = "Saved on this device: this pathway and its filters work without a signal.";
  document.querySelector("#maincontent h1")?.after(note);
}

function startServiceWorker() {
  navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch(() => {});
  if (isPathwayPage && !offline) {
    navigator.serviceWorker.ready.then(savePathway).catch(() => {});
  }
}

if ("serviceWorker" in navigator) {
  // After the page has loaded, so the worker's first downloads never slow the page's own.
  if (document.readyState === "complete") startServiceWorker();
  else window.addEventListener("load", startServiceWorker, { once: true });
}

// The notice. ---------------------------------------------------------------------------

function describe(date) {
  if (Number.isNaN(date.getTime())) return "an earlier visit";
  const day = date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return `${day} at ${time}`;
}

function showNotice(savedAt, extra) {
  let notice = document.querySelector(".offline-notice");
  if (!notice) {
    notice = document.createElement("div");
    notice.className = "nhsuk-inset-text offline-notice";
    notice.setAttribute("role", "status");
    document.getElementById("maincontent")?.prepend(notice);
  }
  const lines = [`You are offline: showing the copy saved on ${describe(new Date(savedAt))}.`];
  if (extra) lines.push(extra);
  notice.replaceChildren(...lines.map((line) => Object.assign(document.createElement("p"), { textContent: line })));
}

function hideNotice() {
  document.querySelector(".offline-notice")?.remove();
}

// Filtering from the saved data. --------------------------------------------------------

async function readSaved() {
  if (saved) return saved;
  const urls = dataUrls();
  // Through the service worker: the network if there is one, else its saved copy.
  const [pathwayResponse, entriesResponse] = await Promise.all([
    fetch(urls.pathway),
    fetch(urls.entries),
  ]);
  if (!pathwayResponse.ok || !entriesResponse.ok) throw new Error("not saved");
  const pathway = await pathwayResponse.json();
  const entries = await entriesResponse.json();
  saved = {
    pathway,
    filters: pathway.filters,
    total: entries.total,
    entries: entries.entries,
    savedAt: entriesResponse.headers.get("X-Saved-At") || new Date().toISOString(),
  };
  return saved;
}

function formLabels() {
  const labels = {};
  for (const name of ["stage", "service", "tag"]) {
    const input = form.querySelector(`input[name="${name}"]`);
    labels[name] = input?.closest("fieldset")?.querySelector("legend")?.textContent.trim() || name;
  }
  for (const name of ["age", "born_at_weeks", "q"]) {
    labels[name] = form.querySelector(`label[for="id_${name}"]`)?.textContent.trim() || name;
  }
  // The form asks "Or their date of birth"; messages name the field as the server does.
  labels.dob = "Date of birth";
  return labels;
}

function setFormFrom(params) {
  for (const input of form.elements) {
    if (!input.name) continue;
    const values = params.getAll(input.name);
    if (input.type === "checkbox") input.checked = values.includes(input.value);
    else if (input.type === "text" || input.type === "search") input.value = values.at(-1) ?? "";
  }
}

async function showFiltered(params, savedAtOfPage, { moveFocus = true } = {}) {
  let data;
  try {
    data = await readSaved();
  } catch {
    showNotice(savedAtOfPage || "", "Filtering needs a signal: this pathway's data is not saved on this device.");
    return;
  }
  // The review as the server worded it when the copy was saved: an old copy says how old.
  const review = data.pathway.review_status;
  showNotice(savedAtOfPage || data.savedAt, review && `Clinical review when saved: ${review}`);
  const panel = document.getElementById("results-panel");
  const count = document.getElementById("result-count");
  renderResults({ panel, count }, data, filterEntries(data, params, formLabels()), params);
  // As after an htmx update: keep keyboard users in the results if their control went.
  if (moveFocus && (!document.activeElement || document.activeElement === document.body)) {
    panel.focus();
  }
}

function addressFor(params) {
  const query = canonicalQuery(params);
  return query ? `${window.location.pathname}?${query}` : window.location.pathname;
}

if (isPathwayPage) {
  if (root.dataset.offlineCopy !== undefined) {
    // A saved copy of this page, maybe with other filters: show what this address asks for.
    const params = new URLSearchParams(window.location.search);
    setFormFrom(params);
    // Opening a page leaves focus at its top, where the offline notice is.
    showFiltered(params, root.dataset.offlineCopy, { moveFocus: false });
  }

  // While offline, the form filters the saved data instead of sending a request.
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (!offline || event.detail.elt !== form) return;
    event.preventDefault();
    const params = new URLSearchParams(new FormData(form));
    window.history.pushState({ offlineFilters: true }, "", addressFor(params));
    showFiltered(params, root.dataset.offlineCopy);
  });

  // The request failed for want of a network: from now on, filter the saved data.
  document.body.addEventListener("htmx:sendError", (event) => {
    if (event.detail.elt !== form) return;
    offline = true;
    const params = new URLSearchParams(new FormData(form));
    window.history.pushState({ offlineFilters: true }, "", addressFor(params));
    showFiltered(params, root.dataset.offlineCopy);
  });

  // Back and Forward through offline filtering: htmx leaves states it did not make to us.
  window.addEventListener("popstate", (event) => {
    if (!event.state?.offlineFilters) return;
    const params = new URLSearchParams(window.location.search);
    setFormFrom(params);
    showFiltered(params, root.dataset.offlineCopy);
  });

  // Results fetched from the server again: they are live, not the saved copy.
  document.body.addEventListener("htmx:afterSwap", () => {
    if (!offline) hideNotice();
  });
}

if (!isPathwayPage && root.dataset.offlineCopy !== undefined) {
  showNotice(root.dataset.offlineCopy);
}

window.addEventListener("offline", () => {
  offline = true;
});
window.addEventListener("online", () => {
  offline = false;
});
