// Offline use on home visits. Registers the service worker; on a pathway page, has the
// pathway's unfiltered page saved and says so; with no network, filters the cards the server
// rendered on that page to the address asked for, saying which saved copy it shows. Each card
// carries what filtering needs, worked out by the server (data-start, data-end, data-stages,
// data-service, data-tag, data-words). This script only reads the
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

/** Gestation at birth in days ({days}), or the page's message ({error}). */
export function readGestation(text) {
  const { pattern, max_length: longest, messages } = rules.gestation;
  const match = [...text].length <= longest ? new RegExp(pattern, "i").exec(text) : null;
  const extra = Number(match?.groups.plus || match?.groups.days || 0);
  if (!match || extra > 6) return { error: messages.unreadable };
  return { days: Number(match.groups.weeks) * 7 + extra };
}

/** Gestation in the server's words: "32 weeks", "32+4 weeks". */
function gestationWords(days) {
  const [weeks, extra] = [Math.floor(days / 7), days % 7];
  return fill(rules.gestation.words[extra ? "part" : "whole"], { weeks, days: extra });
}

/** The ages in days the pathway is read at for a typed age and gestation: the actual age,
 * and the corrected age (0 before the due date) when the server's rules correct it. */
function agesFor(days, gestation) {
  const { full_term_days: term, correct_from: from, correct_to: to } = rules.gestation;
  const corrected =
    gestation !== undefined &&
    from <= gestation &&
    gestation <= to &&
    days < rules.gestation.correct_until_days;
  return corrected ? [days, Math.max(days - (term - gestation), 0)] : [days];
}

/** "actual", "corrected" or "both" for a card when the age is corrected, as the server marks
 * it; null otherwise. */
function appliesAt(card, ages) {
  if (ages.length < 2) return null;
  const within = (days) => Number(card.dataset.start) <= days && days < Number(card.dataset.end);
  const [actual, corrected] = ages.map(within);
  if (actual && corrected) return "both";
  return actual ? "actual" : corrected ? "corrected" : null;
}

function normalise(text) {
  const same = [...text].map((char) => rules.search.same_as[char] ?? char).join("");
  return same.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

// Search as the server searches (pathways/search.py), with its data: the words of a text
// (its pattern), each word's stem (the page's table; a word the pathway and glossary never
// use stands for itself), the glossary's other names, and one typo in a word this long.
const wordsOf = (text) => normalise(text).match(new RegExp(rules.search.word_pattern, "gu")) ?? [];
const stemOf = (word) => rules.search.stems[word] ?? word;
const stemsOf = (words) => words.map(stemOf).filter(Boolean);
const mayHaveTypo = (word) =>
  [...word].length >= rules.search.typo_min_length && stemOf(word) !== "";

/** Whether `word` is `typed` with one letter added, dropped or changed, or two neighbouring
 * letters swapped (or no change). */
function oneTypoApart(typed, word) {
  if (typed === word) return true;
  const [a, b] = [[...typed], [...word]];
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    const differ = a.flatMap((char, i) => (char === b[i] ? [] : [i]));
    if (differ.length === 1) return true;
    const [i, j] = differ;
    return differ.length === 2 && j === i + 1 && a[i] === b[j] && a[j] === b[i];
  }
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < shorter.length && shorter[i] === longer[i]) i += 1;
  return shorter.slice(i).join("") === longer.slice(i + 1).join("");
}

// The cards' words, read once: all of them make the vocabulary typos are looked up in.
const cardWords = (card) => (card.words ??= JSON.parse(card.dataset.words || "[]"));
const cardStems = (card) => (card.stems ??= cardWords(card).map(stemOf));
let vocabulary = [];

/** A phrase as stems to match word by word (null: a stop word, any word). */
function patternOf(words, wanted) {
  const pattern = words.map((word) => {
    const stem = stemOf(word);
    if (!stem) return null;
    const stems = new Set([stem]);
    if (wanted && mayHaveTypo(word)) {
      for (const other of vocabulary) {
        if (oneTypoApart(word, other) && stemOf(other)) stems.add(stemOf(other));
      }
    }
    return stems;
  });
  while (pattern.length && pattern[0] === null) pattern.shift();
  while (pattern.length && pattern.at(-1) === null) pattern.pop();
  return pattern;
}

const hasPhrase = (stems, pattern) =>
  stems.some((_, i) =>
    i + pattern.length <= stems.length &&
    pattern.every((want, j) => want === null || want.has(stems[i + j])),
  );

/** A search as a test of a card; null for none; {error} for a search too long. */
function readSearch(text) {
  const error = tooLong("q", text);
  if (error || !text) return error ? { error } : null;
  const read = [];
  const pattern = new RegExp(rules.search.pattern, "g");
  for (const [, minusPhrase, phrase, minusWord, word] of text.matchAll(pattern)) {
    const value = (phrase || word || "").split(/\s+/).filter(Boolean).join(" ");
    const trimmed = value.replace(/^"+|"+$/g, "");
    if (!trimmed || trimmed === "-") continue;
    const words = wordsOf(trimmed);
    // Stop words alone are left out, as the server leaves them out.
    if (!stemsOf(words).length) continue;
    const wanted = !(minusPhrase || minusWord);
    const others = wanted ? (rules.search.glossary[stemsOf(words).join(" ")] ?? []) : [];
    const phrases = [words, ...others.filter((name) => name.join(" ") !== words.join(" "))];
    const patterns = phrases.map((p) => patternOf(p, wanted)).filter((p) => p.length);
    read.push({ wanted, patterns });
  }
  // A search with nothing left to look for finds nothing.
  if (!read.length) return { test: () => false };
  const has = (card, { patterns }) => patterns.some((p) => hasPhrase(cardStems(card), p));
  return { test: (card) => read.every((term) => has(card, term) === term.wanted) };
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
  if (!vocabulary.length) {
    const words = sections.flatMap((section) => section.cards.flatMap(cardWords));
    vocabulary = [...new Set(words)];
  }
  const notices = [];
  const [stages, services, tags] = ["stage", "service", "tag"].map((name) => chosen(params, name));
  const age = lastValue(params, "age").trim() ? readAge(lastValue(params, "age").trim()) : {};
  if (age.error) notices.push(`${rules.labels.age}: ${age.error}`);
  const dob = lastValue(params, "dob").trim();
  if (dob) notices.push(fill(rules.needs_signal, { label: rules.labels.dob }));
  // Gestation corrects a typed age here; with a date of birth, working out needs a signal.
  const typedGestation = lastValue(params, "born_at_weeks").trim();
  const gestation = typedGestation && !dob ? readGestation(typedGestation) : {};
  const gestationLabel = rules.labels.born_at_weeks;
  if (gestation.error) notices.push(`${gestationLabel}: ${gestation.error}`);
  else if (typedGestation && !lastValue(params, "age").trim() && !dob) {
    notices.push(`${gestationLabel}: ${rules.gestation.messages.needs_age}`);
  }
  const ages = age.days === undefined ? [] : agesFor(age.days, gestation.days);
  const search = readSearch(lastValue(params, "q").trim());
  if (search?.error) notices.push(`${rules.labels.q}: ${search.error}`);
  const appliesBesidesSearch = (card) => {
    const { stages: overlapped, start, end, service, tag } = card.dataset;
    return (
      (!stages.length || overlapped.split(" ").some((slug) => stages.includes(slug))) &&
      (!ages.length || ages.some((days) => Number(start) <= days && days < Number(end))) &&
      (!services.length || services.includes(service)) &&
      (!tags.length || tags.includes(tag))
    );
  };
  const applies = (card) => appliesBesidesSearch(card) && (!search?.test || search.test(card));
  let shown = 0;
  if (ages.length) {
    // By the child's age: one list in seed order, no stage headings, as the server shows it.
    const cards = sections.flatMap((section) => section.cards).filter(applies);
    const byAge = document.getElementById("by-age-template").content.cloneNode(true);
    const list = byAge.querySelector(".results__by-age");
    for (const card of cards) list.append(marked(card, appliesAt(card, ages)));
    shown = cards.length;
    results.replaceChildren(...(shown ? byAge.childNodes : []));
  } else {
    const shownSections = [];
    for (const { section, heading, cards } of sections) {
      const shownCards = cards.filter(applies);
      section.replaceChildren(heading, ...shownCards);
      shown += shownCards.length;
      if (shownCards.length) shownSections.push(section);
    }
    results.replaceChildren(...shownSections);
  }
  const count = document.getElementById("result-count");
  count.textContent = count.textContent.replace(/\d+/, String(shown));
  if (!shown) {
    const empty = Object.assign(document.createElement("div"), { className: "results__empty" });
    empty.append(...rules.no_matches.map((words) => paragraph(words.join(" "))));
    if (age.days >= rules.gestation.pathway_end_days) {
      const range = paragraph(rules.gestation.pathway_range);
      range.className = "results__range";
      empty.append(range);
    }
    // The search alone emptied the page: say what the other filters find, and link to them.
    const others = search?.test ? sections.flatMap((s) => s.cards).filter(appliesBesidesSearch) : [];
    if (others.length) {
      const q = lastValue(params, "q").trim();
      const rationales = others.length === 1 ? "rationale matches" : "rationales match";
      const said = paragraph(
        `${fill(rules.search.without_search, { q, count: others.length, rationales })} `,
      );
      said.className = "results__without-search";
      const link = Object.assign(document.createElement("a"), {
        textContent: rules.search.show_them,
      });
      const rest = new URLSearchParams([...params].filter(([key]) => key !== "q"));
      link.setAttribute("href", addressFor(rest));
      said.append(link);
      empty.append(said);
    }
    results.append(empty);
  }
  const typed = (name, used) => (used ? [lastValue(params, name)] : []);
  const used = { stage: stages, age: typed("age", age.days !== undefined) };
  const ageTyped = Boolean(lastValue(params, "age").trim());
  used.born_at_weeks = typed("born_at_weeks", gestation.days !== undefined && ageTyped);
  Object.assign(used, { service: services, tag: tags, q: typed("q", search?.test) });
  showFiltersInUse(params, used);
  return notices;
}

/** A card as the server lists it by age, from the server's own markup: naming the stage it
 * is listed under and, when a corrected age is in use, the age it applies at. */
function marked(card, mark) {
  const item = document.getElementById("by-age-item-template").content.firstElementChild;
  const copy = item.cloneNode(true);
  copy.querySelector(".results__item-stage").textContent = card.dataset.stageLabel;
  if (mark) {
    copy.dataset.appliesAt = mark;
    copy.querySelector(".results__applies-at-words").textContent = rules.gestation.applies_at[mark];
  } else {
    delete copy.dataset.appliesAt;
    copy.querySelector(".results__applies-at").remove();
  }
  copy.append(card);
  return copy;
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
      let text = input ? form.querySelector(`label[for="${input.id}"]`).textContent : value;
      if (name === "born_at_weeks") text = gestationWords(readGestation(value.trim()).days);
      const words = `${rules.active_labels[name] ?? rules.labels[name]}: ${text.trim()}`;
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
