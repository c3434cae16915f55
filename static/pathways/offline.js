// Offline use on home visits. Registers the service worker; on a pathway page, has the
// pathway's unfiltered page saved and says so; with no network, filters the cards the server
// rendered on that page to the address asked for, saying which saved copy it shows. Each card
// carries what filtering needs, worked out by the server (data-start, data-end, data-stages,
// data-service, data-tag, data-search; data-words on PostgreSQL). This script only reads the
// typed age and search words, with the rules in #offline-rules (pathways/offline/rules.py).

const root = document.documentElement;
const form = document.getElementById("filters");
const rulesData = document.getElementById("offline-rules");
const rules = rulesData ? JSON.parse(rulesData.textContent) : null;
const isPathwayPage = Boolean(form && rules);
let offline = root.dataset.offlineCopy !== undefined || navigator.onLine === false;
// Only a page holding every card of the pathway can be filtered here; after an htmx update
// it holds the server's selection, and the saved copy is opened instead.
let allCards = Boolean(rules?.all_cards);
const paragraph = (text) => Object.assign(document.createElement("p"), { textContent: text });

// Saving. -------------------------------------------------------------------------------

async function savePathway(registration) {
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => {
    channel.port1.onmessage = (event) => resolve(event.data);
  });
  const page = window.location.href.split("#")[0];
  const unfiltered = new URL(form.getAttribute("action"), page).href;
  registration.active.postMessage({ type: "save", page, unfiltered }, [channel.port2]);
  const { saved } = await answer;
  root.dataset.offlineSaved = saved ? "yes" : "no";
  if (saved && !document.querySelector(".offline-saved")) {
    const note = paragraph(
      "Saved on this device: this pathway and its filters work without a signal.",
    );
    note.className = "nhsuk-body-s offline-saved";
    // Below the form on a pathway page: above it, it would push the child's age down.
    (form ?? document.querySelector("#maincontent h1"))?.after(note);
  }
}

function startServiceWorker() {
  navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch(() => {});
  if (isPathwayPage && !offline) navigator.serviceWorker.ready.then(savePathway).catch(() => {});
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

function showNotice(lines = []) {
  let notice = document.querySelector(".offline-notice");
  if (!notice) {
    notice = document.createElement("div");
    notice.className = "nhsuk-inset-text offline-notice";
    notice.setAttribute("role", "status");
    document.getElementById("maincontent")?.prepend(notice);
  }
  // A page opened online and filtered here shows the copy loaded when it was opened.
  const savedAt = new Date(root.dataset.offlineCopy ?? performance.timeOrigin);
  let first = `You are offline: showing the copy saved on ${describe(savedAt)}.`;
  // The review as the server worded it when the copy was saved: an old copy says how old.
  if (rules?.review) first += ` Clinical review when saved: ${rules.review}`;
  notice.replaceChildren(...[first, ...lines].map(paragraph));
}

// Reading what was typed, with the server's rules. ----------------------------------------

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);

function tooLong(name, text) {
  const length = [...text].length;
  const limit = rules.limits[name];
  return length > limit ? fill(rules.too_long[name], { limit, length }) : null;
}

/** The child's age in days ({days}), or the page's message ({error}). */
export function readAge(text) {
  const { pattern, days_per_unit: sizes, max_days: oldest, messages } = rules.age;
  const error = tooLong("age", text);
  if (error) return { error };
  const parts = new RegExp(pattern, "i").exec(text)?.groups ?? {};
  if (!Object.values(parts).some(Boolean)) {
    return { error: /^\d+$/.test(text) ? messages.no_unit : messages.unreadable };
  }
  let total = 0;
  for (const [unit, size] of Object.entries(sizes)) total += Number(parts[unit] || 0) * size;
  const days = Math.floor(total + 0.5); // to the nearest day, halves up (exact: sizes are n/16)
  return days > oldest ? { error: messages.too_old } : { days };
}

function normalise(text) {
  const same = [...text].map((char) => rules.search.same_as[char] ?? char).join("");
  return same.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

// On PostgreSQL each card lists its words with their stems, from the database: a typed word
// the pathway uses is matched by its stem, as the server's full-text search matches it.
const wordsOf = (card) => JSON.parse(card.dataset.words || "{}");
let stems = null;

/** A search as a test of a card; null for none; {error} for a search too long. */
function readSearch(text) {
  const error = tooLong("q", text);
  if (error || !text) return error ? { error } : null;
  const terms = [];
  const pattern = new RegExp(rules.search.pattern, "g");
  for (const [, minusPhrase, phrase, minusWord, word] of text.matchAll(pattern)) {
    const spaced = (phrase || word || "").split(/\s+/).filter(Boolean).join(" ");
    const value = normalise(spaced).replace(/^"+|"+$/g, "");
    const stem = stems?.get(value);
    // An empty stem is a stop word, which full-text search leaves out.
    if (!value || value === "-" || stem === "") continue;
    terms.push({ wanted: !(minusPhrase || minusWord), value, stem });
  }
  // Full-text search with nothing left to look for finds nothing.
  if (rules.search.stemmed && !terms.length) return { test: () => false };
  const found = (card, { value, stem }) => {
    if (stem === undefined) return card.dataset.search.includes(value);
    card.stems ??= new Set(Object.values(wordsOf(card)));
    return card.stems.has(stem);
  };
  return { test: (card) => terms.every((term) => found(card, term) === term.wanted) };
}

// Filtering the cards. --------------------------------------------------------------------

const lastValue = (params, name) => params.getAll(name).at(-1) ?? "";
// The values of a parameter that the form offers, in the form's order; others are ignored.
const chosen = (params, name) =>
  Array.from(form.querySelectorAll(`input[name="${name}"]`), (input) => input.value).filter(
    (value) => params.getAll(name).includes(value),
  );
// The saved page's stage sections with their cards, as the server rendered them.
let sections = null;

/** Puts back the cards that apply for `params` (URLSearchParams), as the server would show
 * them, with the count, the empty state and "Filters in use"; returns notices to show. */
export function filterCards(params) {
  const results = document.getElementById("results");
  sections ??= Array.from(results.querySelectorAll(".results__stage"), (section) => ({
    section,
    heading: section.querySelector(".results__stage-heading"),
    cards: Array.from(section.querySelectorAll(".entry")),
  }));
  if (rules.search.stemmed) {
    const cards = sections.flatMap((section) => section.cards);
    stems ??= new Map(cards.flatMap((card) => Object.entries(wordsOf(card))));
  }
  const notices = [];
  const [stages, services, tags] = ["stage", "service", "tag"].map((name) => chosen(params, name));
  const age = lastValue(params, "age").trim() ? readAge(lastValue(params, "age").trim()) : {};
  if (age.error) notices.push(`${rules.labels.age}: ${age.error}`);
  for (const name of ["dob", "born_at_weeks"]) {
    const label = rules.labels[name];
    if (lastValue(params, name).trim()) notices.push(fill(rules.needs_signal, { label }));
  }
  const search = readSearch(lastValue(params, "q").trim());
  if (search?.error) notices.push(`${rules.labels.q}: ${search.error}`);
  const applies = (card) => {
    const { stages: overlapped, start, end, service, tag } = card.dataset;
    return (
      (!stages.length || overlapped.split(" ").some((slug) => stages.includes(slug))) &&
      (age.days === undefined || (Number(start) <= age.days && age.days < Number(end))) &&
      (!services.length || services.includes(service)) &&
      (!tags.length || tags.includes(tag)) &&
      (!search?.test || search.test(card))
    );
  };
  let shown = 0;
  const shownSections = [];
  for (const { section, heading, cards } of sections) {
    const shownCards = cards.filter(applies);
    section.replaceChildren(heading, ...shownCards);
    shown += shownCards.length;
    if (shownCards.length) shownSections.push(section);
  }
  results.replaceChildren(...shownSections);
  const count = document.getElementById("result-count");
  count.textContent = count.textContent.replace(/\d+/, String(shown));
  if (!shown) {
    const empty = Object.assign(document.createElement("div"), { className: "results__empty" });
    empty.append(...rules.no_matches.map((words) => paragraph(words.join(" "))));
    results.append(empty);
  }
  const typed = (name, used) => (used ? [lastValue(params, name)] : []);
  const used = { stage: stages, age: typed("age", age.days !== undefined), service: services };
  showFiltersInUse(params, { ...used, tag: tags, q: typed("q", search?.test) });
  return notices;
}

// "Filters in use" from the server's own markup (a blank item to copy), and the links to
// these results.
function showFiltersInUse(params, used) {
  const panel = document.getElementById("results-panel");
  panel.querySelector(".active-filters")?.remove();
  const queryWithout = (name, value) =>
    query(new URLSearchParams([...params].filter(([key, item]) => key !== name || item !== value)));
  for (const link of panel.querySelectorAll(".results__download a, .results__actions a")) {
    link.search = query(params);
  }
  const template = document.getElementById("active-filters-template");
  const block = template.content.firstElementChild.cloneNode(true);
  const blank = block.querySelector(".active-filters__remove").parentElement;
  for (const [name, values] of Object.entries(used)) {
    for (const value of values) {
      const item = blank.cloneNode(true);
      const link = item.querySelector("a");
      const input = form.querySelector(`input[name="${name}"][value="${CSS.escape(value)}"]`);
      const text = input ? form.querySelector(`label[for="${input.id}"]`).textContent : value;
      const words = `${rules.labels[name]}: ${text.trim()}`;
      link.querySelector(".active-filters__text").textContent = words;
      Object.assign(link.dataset, { filterParameter: name, filterValue: value });
      link.setAttribute("href", `?${queryWithout(name, value)}`);
      blank.before(item);
    }
  }
  blank.remove();
  if (block.querySelector("a[data-filter-parameter]")) {
    panel.querySelector(".results__print-summary").after(block);
  }
}

// The query string the server would push: the form's fields without the empty ones.
const query = (params) => new URLSearchParams([...params].filter(([, v]) => v.trim())).toString();
const addressFor = (params) =>
  window.location.pathname + (query(params) ? `?${query(params)}` : "");

function setFormFrom(params) {
  for (const input of form.elements) {
    const values = input.name ? params.getAll(input.name) : [];
    if (input.type === "checkbox") input.checked = values.includes(input.value);
    else if (input.type === "text" || input.type === "search") input.value = values.at(-1) ?? "";
  }
}

function showFiltered(params, { moveFocus = true } = {}) {
  showNotice(allCards ? filterCards(params) : [rules.not_saved]);
  // As after an htmx update: keep keyboard users in the results if their control went.
  if (moveFocus && (!document.activeElement || document.activeElement === document.body)) {
    document.getElementById("results-panel").focus();
  }
}

function filterOffline(event) {
  event.preventDefault();
  const address = addressFor(new URLSearchParams(new FormData(form)));
  // Cards the server already narrowed down cannot be filtered here: open the saved copy.
  if (!allCards) return window.location.assign(address);
  window.history.pushState({ offlineFilters: true }, "", address);
  const submitted = Boolean(form.dataset.focusResults);
  delete form.dataset.focusResults;
  showFiltered(new URLSearchParams(window.location.search), { moveFocus: !submitted });
  // After Enter or the button, as online: focus (and so show) the result count.
  if (submitted) document.getElementById("result-count").focus();
}

if (isPathwayPage) {
  if (root.dataset.offlineCopy !== undefined) {
    // The saved copy of this pathway, opened at this address: show what the address asks for
    // (a copy saved at this very address already does).
    const params = new URLSearchParams(window.location.search);
    const renderedFor = new URL(form.dataset.renderedFor, window.location.href);
    setFormFrom(params);
    // Opening a page leaves focus at its top, where the offline notice is.
    if (query(new URLSearchParams(renderedFor.search)) === query(params)) showNotice();
    else showFiltered(params, { moveFocus: false });
  }
  // While offline, the form filters the cards instead of sending a request.
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (offline && event.detail.elt === form) filterOffline(event);
  });
  // The request failed for want of a network: from now on, filter here.
  document.body.addEventListener("htmx:sendError", (event) => {
    if (event.detail.elt !== form) return;
    offline = true;
    filterOffline(event);
    markDeadLinks();
  });
  // Back and Forward through offline filtering: htmx leaves states it did not make to us.
  window.addEventListener("popstate", (event) => {
    if (!event.state?.offlineFilters) return;
    const params = new URLSearchParams(window.location.search);
    setFormFrom(params);
    showFiltered(params);
  });
  // Results fetched from the server again: they are live, and no longer every card.
  document.body.addEventListener("htmx:afterSwap", () => {
    allCards = false;
    if (!offline) document.querySelector(".offline-notice")?.remove();
  });
}

// Links that cannot work offline. ----------------------------------------------------------
// With no network, a link to a page this device has not saved (a checklist never opened),
// or to what only the server can make (the CSV, sending a problem report: links inside an
// element the server marked data-needs-signal), says so and is not followed. Which pages are saved the
// service worker answers, by the same rule it answers a visit with.

function askWorker(message) {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return Promise.resolve(null);
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => {
    channel.port1.onmessage = (event) => resolve(event.data);
  });
  worker.postMessage(message, [channel.port2]);
  return answer;
}

const isOtherPage = (link) =>
  link instanceof HTMLAnchorElement &&
  link.origin === window.location.origin &&
  !(link.pathname === window.location.pathname && link.search === window.location.search);

export async function markDeadLinks() {
  const links = Array.from(document.querySelectorAll("a[href]")).filter(isOtherPage);
  const asked = links.filter((link) => !link.closest("[data-needs-signal]"));
  const answer = await askWorker({ type: "available", urls: asked.map((link) => link.href) });
  if (!offline) return; // back online while the worker answered
  const available = new Map(asked.map((link, i) => [link, Boolean(answer?.available[i])]));
  const note = document.getElementById("offline-link-note");
  for (const link of links) {
    if (available.get(link) || link.dataset.offlineUnavailable !== undefined) continue;
    link.dataset.offlineUnavailable = "";
    link.setAttribute("aria-disabled", "true");
    if (note) link.append(note.content.firstElementChild.cloneNode(true));
  }
}

function unmarkDeadLinks() {
  for (const link of document.querySelectorAll("a[data-offline-unavailable]")) {
    delete link.dataset.offlineUnavailable;
    link.removeAttribute("aria-disabled");
    link.querySelector(".offline-link-note")?.remove();
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-offline-unavailable]");
  if (link && offline) event.preventDefault();
});

if (!isPathwayPage && root.dataset.offlineCopy !== undefined) showNotice();
if (offline) markDeadLinks();
window.addEventListener("offline", () => {
  offline = true;
  markDeadLinks();
});
window.addEventListener("online", () => {
  offline = false;
  unmarkDeadLinks();
});
