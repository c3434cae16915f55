// Offline use on home visits. Registers the service worker; on a pathway page, has the
// pathway's unfiltered page saved and says so; and when there is no network, filters the
// cards the server rendered on that page to the address asked for, with a notice saying
// which saved copy it shows. Each card carries what filtering needs, worked out by the server
// (data-start, data-end, data-stages, data-service, data-tag, data-search; data-words on
// PostgreSQL); this script only reads the typed age and search words, with the rules the
// server hands over in #offline-rules (pathways/offline/rules.py), and shows or hides cards.

const root = document.documentElement;
const form = document.getElementById("filters");
const rulesScript = document.getElementById("offline-rules");
const rules = rulesScript ? JSON.parse(rulesScript.textContent) : null;
const isPathwayPage = Boolean(form && rules);
let offline = root.dataset.offlineCopy !== undefined || navigator.onLine === false;
// Only while the page holds every card of the pathway can it be filtered here; after an
// htmx update it holds the server's selection, and the saved copy is opened instead.
let allCards = Boolean(rules?.all_cards);

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
  if (saved) showSaved();
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

function showNotice(lines = []) {
  let notice = document.querySelector(".offline-notice");
  if (!notice) {
    notice = document.createElement("div");
    notice.className = "nhsuk-inset-text offline-notice";
    notice.setAttribute("role", "status");
    document.getElementById("maincontent")?.prepend(notice);
  }
  // A page opened online and filtered here is the copy loaded when it was opened.
  const savedAt = root.dataset.offlineCopy ?? new Date(performance.timeOrigin).toISOString();
  const first = `You are offline: showing the copy saved on ${describe(new Date(savedAt))}.`;
  notice.replaceChildren(
    ...[first, ...lines].map((line) => Object.assign(document.createElement("p"), { textContent: line })),
  );
}

// Reading what was typed, with the server's rules. ----------------------------------------

const ageRe = rules && new RegExp(rules.age.pattern, "i");
const termRe = rules && new RegExp(rules.search.pattern, "g");
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);

function tooLong(name, text) {
  const length = [...text].length;
  const limit = rules.limits[name];
  return length > limit ? fill(rules.too_long[name], { limit, length }) : null;
}

/** The child's age in days ({days}), or the page's message ({error}). */
export function readAge(text) {
  const error = tooLong("age", text);
  if (error) return { error };
  const parts = ageRe.exec(text)?.groups ?? {};
  const messages = rules.age.messages;
  if (!Object.values(parts).some(Boolean)) {
    return { error: /^\d+$/.test(text) ? messages.no_unit : messages.unreadable };
  }
  let total = 0;
  for (const [unit, size] of Object.entries(rules.age.days_per_unit)) total += Number(parts[unit] || 0) * size;
  const days = Math.floor(total + 0.5); // to the nearest day, halves up (exact: sizes are x/16)
  return days > rules.age.max_days ? { error: messages.too_old } : { days };
}

function normalise(text) {
  const same = [...text].map((char) => rules.search.same_as[char] ?? char).join("");
  return same.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

// On PostgreSQL each card lists its words with their stems; a word typed offline that the
// pathway uses is matched by stem, as the server's full-text search does.
let stems = null;
function cardWords(card) {
  card.words ??= new Set(Object.values(JSON.parse(card.dataset.words || "{}")));
  return card.words;
}

/** A search as a test of a card, or null for no search; {error} for a search too long. */
function readSearch(text) {
  const error = tooLong("q", text);
  if (error) return { error };
  if (!text) return null;
  const terms = [];
  for (const [, minusPhrase, phrase, minusWord, word] of text.matchAll(termRe)) {
    const value = normalise((phrase || word || "").split(/\s+/).filter(Boolean).join(" ").replace(/^"+|"+$/g, ""));
    if (!value || value === "-") continue;
    const stem = stems?.get(value);
    if (stem === "") continue; // a stop word: full-text search leaves it out
    terms.push({ wanted: !(minusPhrase || minusWord), value, stem });
  }
  // Full-text search with nothing left to look for finds nothing.
  if (rules.search.stemmed && !terms.length) return { test: () => false };
  const found = (card, { value, stem }) =>
    stem === undefined ? card.dataset.search.includes(value) : cardWords(card).has(stem);
  return { test: (card) => terms.every((term) => found(card, term) === term.wanted) };
}

// Filtering the cards. --------------------------------------------------------------------

const lastValue = (params, name) => (params.getAll(name).at(-1) ?? "").trim();

// The values of a parameter the form offers, in the form's order; others are ignored.
function chosen(params, name) {
  const values = params.getAll(name);
  const offered = Array.from(form.querySelectorAll(`input[name="${name}"]`), (input) => input.value);
  return offered.filter((value) => values.includes(value));
}

// The saved page's stage sections and their cards, as the server rendered them: filtering
// puts back those that apply, in that order, so the page holds what the server's would.
let sections = null;

/** Shows the cards that apply for `params` (URLSearchParams), as the server would show them,
 * and updates the count and the empty state; returns the notices to show. */
export function filterCards(params) {
  const results = document.getElementById("results");
  sections ??= Array.from(results.querySelectorAll(".results__stage"), (section) => ({
    section,
    heading: section.querySelector(".results__stage-heading"),
    cards: Array.from(section.querySelectorAll(".entry")),
  }));
  const cards = sections.flatMap(({ cards: inStage }) => inStage);
  if (rules.search.stemmed && !stems) {
    stems = new Map(cards.flatMap((card) => Object.entries(JSON.parse(card.dataset.words || "{}"))));
  }
  const notices = [];
  const [stages, services, tags] = ["stage", "service", "tag"].map((name) => chosen(params, name));
  let days = null;
  const ageText = lastValue(params, "age");
  if (ageText) {
    const age = readAge(ageText);
    if (age.error) notices.push(`${rules.labels.age}: ${age.error}`);
    else days = age.days;
  }
  for (const name of ["dob", "born_at_weeks"]) {
    if (lastValue(params, name)) notices.push(fill(rules.needs_signal, { label: rules.labels[name] }));
  }
  let search = readSearch(lastValue(params, "q"));
  if (search?.error) {
    notices.push(`${rules.labels.q}: ${search.error}`);
    search = null;
  }
  const applies = (card) => {
    const { start, end, service, tag } = card.dataset;
    return (
      (!stages.length || card.dataset.stages.split(" ").some((slug) => stages.includes(slug))) &&
      (days === null || (Number(start) <= days && days < Number(end))) &&
      (!services.length || services.includes(service)) &&
      (!tags.length || tags.includes(tag)) &&
      (!search || search.test(card))
    );
  };
  let shown = 0;
  const shownSections = [];
  for (const { section, heading, cards: inStage } of sections) {
    const shownCards = inStage.filter(applies);
    section.replaceChildren(heading, ...shownCards);
    shown += shownCards.length;
    if (shownCards.length) shownSections.push(section);
  }
  results.replaceChildren(...shownSections);
  const count = document.getElementById("result-count");
  count.textContent = count.textContent.replace(/\d+/, String(shown));
  if (!shown) {
    const empty = Object.assign(document.createElement("div"), { className: "results__empty" });
    empty.append(...rules.no_matches.map((words) => Object.assign(document.createElement("p"), { textContent: words.join(" ") })));
    results.append(empty);
  }
  const typed = (name, used) => (used ? [params.getAll(name).at(-1)] : []);
  showFiltersInUse(params, { stage: stages, age: typed("age", days !== null), service: services, tag: tags, q: typed("q", search) });
  return notices;
}

// "Filters in use" and the links to these results, from the server's own markup.
function showFiltersInUse(params, used) {
  const panel = document.getElementById("results-panel");
  panel.querySelector(".active-filters")?.remove();
  const query = addressFor(params).split("?")[1];
  for (const link of panel.querySelectorAll(".results__download a, .results__actions a")) {
    const url = new URL(link.href);
    url.search = query ?? "";
    link.href = url.href;
  }
  const block = document.getElementById("active-filters-template").content.firstElementChild.cloneNode(true);
  const blank = block.querySelector(".active-filters__remove").parentElement;
  for (const [name, values] of Object.entries(used)) {
    for (const value of values) {
      const item = blank.cloneNode(true);
      const link = item.querySelector("a");
      const choice = form.querySelector(`input[name="${name}"][value="${CSS.escape(value)}"]`);
      const text = choice ? document.querySelector(`label[for="${choice.id}"]`).textContent.trim() : value.trim();
      link.querySelector(".active-filters__text").textContent = `${rules.labels[name]}: ${text}`;
      Object.assign(link.dataset, { filterParameter: name, filterValue: value });
      const rest = new URLSearchParams([...params].filter(([key, item]) => !(key === name && item === value)));
      link.href = `?${addressFor(rest).split("?")[1] ?? ""}`;
      blank.before(item);
    }
  }
  blank.remove();
  if (block.querySelector(".active-filters__remove")) panel.querySelector(".results__print-summary").after(block);
}

function setFormFrom(params) {
  for (const input of form.elements) {
    if (!input.name) continue;
    const values = params.getAll(input.name);
    if (input.type === "checkbox") input.checked = values.includes(input.value);
    else if (input.type === "text" || input.type === "search") input.value = values.at(-1) ?? "";
  }
}

function showFiltered(params, { moveFocus = true } = {}) {
  if (!allCards) {
    showNotice([rules.not_saved]);
    return;
  }
  showNotice(filterCards(params));
  // As after an htmx update: keep keyboard users in the results if their control went.
  if (moveFocus && (!document.activeElement || document.activeElement === document.body)) {
    document.getElementById("results-panel").focus();
  }
}

// The address the server would push: the form's fields without the empty ones.
function addressFor(params) {
  const query = new URLSearchParams([...params].filter(([, value]) => value.trim())).toString();
  return query ? `${window.location.pathname}?${query}` : window.location.pathname;
}

function filterOffline(event) {
  event.preventDefault?.();
  const address = addressFor(new URLSearchParams(new FormData(form)));
  // Cards the server already narrowed down cannot be filtered here: open the saved copy.
  if (!allCards) return window.location.assign(address);
  window.history.pushState({ offlineFilters: true }, "", address);
  showFiltered(new URLSearchParams(window.location.search));
}

if (isPathwayPage) {
  if (root.dataset.offlineCopy !== undefined) {
    // The saved copy of this pathway, opened at this address: show what the address asks for.
    const params = new URLSearchParams(window.location.search);
    setFormFrom(params);
    // Opening a page leaves focus at its top, where the offline notice is.
    showFiltered(params, { moveFocus: false });
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

if (!isPathwayPage && root.dataset.offlineCopy !== undefined) showNotice();

window.addEventListener("offline", () => {
  offline = true;
});
window.addEventListener("online", () => {
  offline = false;
});
