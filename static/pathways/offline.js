// Offline use on home visits (README, "Offline"): with no network, filters a saved pathway
// page's cards by what the server worked out (data-*, #offline-rules: offline/rules.py).

const root = document.documentElement;
const form = document.getElementById("filters");
const rules = JSON.parse(document.getElementById("offline-rules")?.textContent ?? "null");
const isPathwayPage = Boolean(form && rules);
let offline = root.dataset.offlineCopy !== undefined || navigator.onLine === false;
// Only a page holding every card can be filtered here (after an htmx update it does not).
let allCards = Boolean(rules?.all_cards);
const copyOf = (id) => document.getElementById(id).content.firstElementChild.cloneNode(true);
const paragraph = (text) => Object.assign(document.createElement("p"), { textContent: text });
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);
// A table's own entry only: a typed "constructor" is not a property of every object.
const lookUp = (table, key) => (Object.hasOwn(table, key) ? table[key] : undefined);

async function ask(worker, message) {
  if (!worker) return null;
  const { port1, port2 } = new MessageChannel();
  worker.postMessage(message, [port2]);
  return new Promise((resolve) => (port1.onmessage = (event) => resolve(event.data)));
}

// After the page has loaded, so the worker's first downloads never slow the page's own.
window.addEventListener("load", async () => {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch(() => {});
  if (!isPathwayPage || offline) return;
  const message = { type: "save", page: window.location.href, tables: rules.tables_url };
  const saved = await ask((await navigator.serviceWorker.ready).active, message);
  root.dataset.offlineSaved = saved ? "yes" : "no";
  // Below the form: above it, it would push the child's age down.
  if (saved && !document.querySelector(".offline-saved")) form.after(copyOf("offline-saved"));
});

// The server's notice (base.html), saying when the copy was saved (opened online: loaded).
function showNotice(lines = []) {
  const notice = document.querySelector(".offline-notice") ?? copyOf("offline-notice");
  if (!notice.isConnected) document.getElementById("maincontent")?.prepend(notice);
  const savedAt = new Date(root.dataset.offlineCopy ?? performance.timeOrigin);
  const when = savedAt.toLocaleString("en-GB", { dateStyle: "long", timeStyle: "short" });
  if (savedAt.getTime()) notice.querySelector(".offline-notice__when").textContent = when;
  notice.replaceChildren(notice.firstElementChild, ...lines.map(paragraph));
}

function tooLong(name, text) {
  const length = [...text].length;
  return length > rules.limits[name] ? fill(rules.too_long[name], { length }) : null;
}

function readAge(text) {
  const { pattern, days_per_unit: sizes, max_days: oldest, messages, units } = rules.age;
  const error = tooLong("age", text);
  if (error) return { error };
  const parts = new RegExp(pattern, "i").exec(text)?.groups ?? {};
  const given = Object.keys(sizes).filter((unit) => parts[unit] !== undefined);
  if (!given.length) return { error: messages[/^\d+$/.test(text) ? "no_unit" : "unreadable"] };
  const total = given.reduce((sum, unit) => sum + parts[unit] * sizes[unit], 0);
  const days = Math.floor(total + 0.5); // halves up, exactly: sizes are n/16
  if (days > oldest) return { error: messages.too_old };
  const say = (unit, n) => fill(units[unit][n === 1 ? "one" : "other"], { n });
  const words = given.filter((unit) => Number(parts[unit])).map((u) => say(u, Number(parts[u])));
  const actual = words.join(" ") || say(given.at(-1), 0); // "1 year 6 months", "0 days"
  return { days, actual, today: "", past: days >= rules.gestation.correct_until_days };
}

// A date of birth read as the server reads it (filters.DateOfBirthField, ages.describe_since).
function readBirth(text) {
  const { rewrites, patterns, months, messages, time_zone: timeZone } = rules.dob;
  const tidy = rewrites.reduce((t, [from, to]) => t.replace(new RegExp(from, "gi"), to), text);
  const found = patterns.map((p) => new RegExp(p, "i").exec(tidy)?.groups).find(Boolean) ?? {};
  const [y, m, d] = [found.y, found.m ?? months[found.name?.toLowerCase()], found.d].map(Number);
  // The day `months` after the birth (UTC); a day the month lacks is the next month's 1st.
  const later = (months) => {
    const date = new Date(Date.UTC(y, m - 1 + months, d));
    return date.getUTCDate() === d ? date : new Date(Date.UTC(y, m + months, 1));
  };
  const today = new Date(new Date().toLocaleDateString("en-CA", { timeZone }));
  const daysTo = (date) => Math.round((today - date) / 864e5);
  const [days, real] = [daysTo(later(0)), y > 0 && later(0).getUTCMonth() === m - 1];
  const wrong = tooLong("dob", text) || !real ? "invalid" : days < 0 ? "future" : null;
  if (wrong || days > rules.age.max_days) return { error: messages[wrong ?? "too_old"] };
  let whole = 12 * (today.getUTCFullYear() - y) + today.getUTCMonth() + 1 - m;
  while (whole > 0 && later(whole) > today) whole -= 1;
  const row = tables.calendar_words[whole];
  const weeks = Math.min(Math.floor(daysTo(later(whole)) / 7), row.length - 1);
  const actual = days < rules.dob.calendar_from_days ? tables.age_words[days] : row[weeks];
  const past = later(rules.dob.correct_until_months) <= today;
  return { days, actual, today: tables.age_today, past };
}

function readGestation(text) {
  const { pattern, max_length: longest, words, messages } = rules.gestation;
  const found = [...text].length <= longest ? new RegExp(pattern, "i").exec(text)?.groups : null;
  if (!found) return { error: messages.unreadable };
  const [weeks, days] = [Number(found.weeks), Number(found.plus || found.days || 0)];
  return { days: weeks * 7 + days, words: fill(words[days ? "part" : "whole"], { weeks, days }) };
}

// ages.ChildAge.sentence_case
function caseOf(age, { days: gestation, error }) {
  const { full_term_days: term, correct_from: from, correct_to: to } = rules.gestation;
  if (error || gestation === undefined) return error ? "unreadable" : "plain";
  if (gestation < from || gestation > to) return gestation > to ? "term" : "too_early";
  if (age.past) return "past_second_birthday";
  return age.days < term - gestation ? "not_yet_due" : "corrected";
}

// Before the due date, a corrected age is 0 (ages.ChildAge.days).
function agesFor(age, gestation) {
  if (!["corrected", "not_yet_due"].includes(caseOf(age, gestation))) return [age.days];
  return [age.days, Math.max(age.days - (rules.gestation.full_term_days - gestation.days), 0)];
}

function sayAges(age, gestation) {
  const [words, early] = [tables.age_words, rules.gestation.full_term_days - gestation.days];
  const more = { born_at: gestation.words, early: words[early], due: words[early - age.days] };
  const values = { ...age, ...more, corrected: words[age.days - early] };
  const [inset, sentences] = [copyOf("child-age-template"), tables.age_sentences];
  inset.append(...sentences[caseOf(age, gestation)].map((text) => paragraph(fill(text, values))));
  return inset;
}

const inBand = ({ dataset }, days) => Number(dataset.start) <= days && days < Number(dataset.end);
const appliesAt = (card, ages) =>
  ages.length < 2 ? null : rules.gestation.marks[ages.map((d) => Number(inBand(card, d))).join("")];

const fold = (text) => [...text].map((char) => lookUp(rules.search.fold, char) ?? char).join("");
const wordsOf = (text) => fold(text).match(new RegExp(rules.search.word_pattern, "gu")) ?? [];
// A word's stem ("" for a stop word); a word the table lacks is its own stem.
const stemOf = (word) => lookUp(rules.search.stems, word) ?? word;

/** The stems a word stands for (null: a stop word, any word there); a wanted word's include
 * those of the pathway's words one typo away, indexed under it as it is or a letter blanked. */
function stemsFor(word, wanted) {
  if (!stemOf(word)) return null;
  const letters = [...word];
  const keys = [word, ...letters.map((_, i) => letters.with(i, "_").join(""))];
  const typos = wanted ? keys.flatMap((key) => lookUp(rules.search.typos, key) ?? []) : [];
  return new Set([stemOf(word), ...typos]);
}

// A phrase as stems to find word by word; stop words at its start would need words before.
function patternOf(words, wanted) {
  const pattern = words.map((word) => stemsFor(word, wanted));
  while (pattern[0] === null) pattern.shift();
  return pattern;
}
const hasPhrase = (stems, pattern) =>
  stems.some((_, i) => pattern.every((want, j) => want === null || want.has(stems[i + j])));
const cardStems = (card) => (card.stems ??= card.dataset.stems.split(" "));

/** A search as a test of a card; null for none; {error} for a search too long. */
function readSearch(text) {
  const error = tooLong("q", text);
  if (error || !text) return error ? { error } : null;
  const read = [];
  for (const [, minusPhrase, phrase, minusWord, word] of text.matchAll(rules.search.pattern)) {
    const words = wordsOf(phrase || word || "");
    const stems = words.map(stemOf).filter(Boolean);
    if (!stems.length) continue; // stop words alone are left out, as the server leaves them
    const wanted = !(minusPhrase || minusWord);
    // The glossary's names for it (its own among them), by the stems of its words.
    const names = wanted ? (lookUp(rules.search.glossary, stems.join(" ")) ?? []) : [];
    const patterns = [words, ...names].map((name) => patternOf(name, wanted));
    read.push({ wanted, patterns: patterns.filter((pattern) => pattern.length) });
  }
  const has = (card, { patterns }) => patterns.some((p) => hasPhrase(cardStems(card), p));
  // A search with nothing left to look for finds nothing.
  return { test: (card) => read.length > 0 && read.every((t) => has(card, t) === t.wanted) };
}

const lastValue = (params, name) => params.getAll(name).at(-1) ?? "";
// The options of a parameter the address chooses, as [value, words] in the form's order.
const chosen = (params, name) =>
  rules.choices[name].filter(([value]) => params.getAll(name).includes(value));
let sections = null; // the saved page's stage sections, each [section, [heading, ...cards]]
let tables = null; // the unfiltered page's tables (offline/rules.py), saved by the worker

/** The page as the server shows it for `params` (URLSearchParams); returns notices to show. */
export async function filterCards(params) {
  const results = document.getElementById("results");
  sections ??= Array.from(results.children, (section) => [section, [...section.children]]);
  const typed = (name) => lastValue(params, name).trim();
  const notices = [];
  const notice = (name, message) => notices.push(`${rules.labels[name]}: ${message}`);
  tables ??= await fetch(rules.tables_url).then((response) => response.json());
  Object.assign(rules.search, tables.search);
  const read = (name, reader) => (typed(name) ? reader(typed(name)) : {});
  const [given, born] = [read("age", readAge), read("dob", readBirth)];
  for (const [name, { error }] of [["age", given], ["dob", born]]) if (error) notice(name, error);
  const both = given.days !== undefined && born.days !== undefined;
  if (both) notices.push(rules.dob.both);
  const age = both ? {} : born.days === undefined ? given : born;
  const atBirth = typed("born_at_weeks");
  const gestation = atBirth ? readGestation(atBirth) : {};
  const needsAge = atBirth && !typed("age") && !typed("dob") && rules.gestation.messages.needs_age;
  if (gestation.error || needsAge) notice("born_at_weeks", gestation.error ?? needsAge);
  const ages = age.days === undefined ? [] : agesFor(age, gestation);
  const search = readSearch(typed("q"));
  if (search?.error) notice("q", search.error);
  // Each card names the values that show it (data-stage: the stages its band overlaps).
  const picked = ["stage", "service", "tag"].map((name) => [name, chosen(params, name)]);
  const appliesBesidesSearch = (card) =>
    picked.every(([name, options]) => {
      const values = card.dataset[name].split(" ");
      return !options.length || options.some(([value]) => values.includes(value));
    }) && (!ages.length || ages.some((days) => inBand(card, days)));
  const applies = (card) => appliesBesidesSearch(card) && (!search?.test || search.test(card));
  const everyCard = sections.flatMap(([, [, ...cards]]) => cards);
  const shown = new Set(everyCard.filter(applies));
  document.querySelector("#results-panel .child-age")?.remove();
  if (ages.length) {
    // By the child's age: one list in seed order, no stage headings, as the server shows it.
    const byAge = document.getElementById("by-age-template").content.cloneNode(true);
    const listed = [...shown].map((card) => {
      const item = copyOf(`by-age-item-${appliesAt(card, ages) ?? "unmarked"}`);
      item.querySelector(".results__item-stage").textContent = card.dataset.stageLabel;
      item.append(card);
      return item;
    });
    byAge.querySelector(".results__by-age").append(...listed);
    results.replaceChildren(...(shown.size ? byAge.childNodes : []));
    const place = shown.size ? results : document.querySelector("#results-panel .results__actions");
    place.before(sayAges(age, gestation));
  } else {
    for (const [section, [heading, ...cards]] of sections) {
      section.replaceChildren(heading, ...cards.filter((card) => shown.has(card)));
    }
    const filled = sections.filter(([section]) => section.childElementCount > 1);
    results.replaceChildren(...filled.map(([section]) => section));
  }
  const count = document.getElementById("result-count");
  count.textContent = count.textContent.replace(/\d+/, String(shown.size));
  if (!shown.size) {
    // The server's empty state: the pathway's range for a child past it; if the search alone
    // emptied the page, what the other filters find, linked.
    results.append(document.createRange().createContextualFragment(tables.empty_state));
    const range = results.querySelector(".results__range");
    const said = results.querySelector(".results__without-search");
    if (!(age.days >= rules.gestation.pathway_end_days)) range.remove();
    const others = search?.test ? everyCard.filter(appliesBesidesSearch).length : 0;
    const text = rules.search.without_search[others === 1 ? "one" : "other"];
    said.firstChild.textContent = `${fill(text, { q: typed("q"), count: others })} `;
    said.lastChild.href = addressFor(without(params, "q"));
    if (!others) said.remove();
  }
  // "Filters in use", in the server's order: [parameter, value as given, words].
  const used = { age: given.days !== undefined && typed("age"), q: search?.test && typed("q") };
  used.dob = born.days !== undefined && typed("dob");
  used.born_at_weeks = (typed("age") || typed("dob")) && gestation.words;
  const inUse = rules.parameters.flatMap((name) => {
    if (rules.choices[name]) return chosen(params, name).map((option) => [name, ...option]);
    return used[name] ? [[name, lastValue(params, name), used[name]]] : [];
  });
  showFiltersInUse(params, inUse);
  return notices;
}

// "Filters in use" in the server's markup and place (first, or after the empty state); links.
function showFiltersInUse(params, inUse) {
  const panel = document.getElementById("results-panel");
  panel.querySelector(".active-filters")?.remove();
  const links = panel.querySelectorAll(".results__download a, .results__actions a");
  links.forEach((link) => (link.search = query(params)));
  if (!inUse.length) return;
  const block = copyOf("active-filters-template");
  const blank = block.querySelector(".active-filters__remove").parentElement;
  for (const [name, value, words] of inUse) {
    const item = blank.cloneNode(true);
    const link = item.querySelector("a");
    const text = link.querySelector(".active-filters__text");
    text.textContent = `${rules.in_use_labels[name]}: ${words}`;
    link.setAttribute("href", `?${query(without(params, name, value))}`);
    blank.before(item);
  }
  blank.remove();
  (panel.querySelector(".results__empty")?.parentElement ?? panel.firstElementChild).after(block);
}

// The query string the server would push: the form's fields without the empty ones.
export const query = (params) =>
  new URLSearchParams([...params].filter(([, v]) => v.trim())).toString();
const addressFor = (params) =>
  window.location.pathname + (query(params) ? `?${query(params)}` : "");
const without = (params, name, value) =>
  [...params].filter(([key, item]) => key !== name || (value !== undefined && item !== value));
export const addressed = () => new URLSearchParams(window.location.search);

export function setForm(params) {
  for (const input of form.elements) {
    const values = input.name ? params.getAll(input.name) : [];
    if (input.type === "checkbox") input.checked = values.includes(input.value);
    else if (input.type === "text" || input.type === "search") input.value = values.at(-1) ?? "";
  }
}

// After a submit (site.js) focus goes to what answers it, as autofocus does without JavaScript.
// A ticked box keeps its focus; focus lost with a control the update replaced, the results.
export function focusAnswer() {
  if (form.dataset.focusResults) {
    delete form.dataset.focusResults;
    const summary = document.querySelector("#error-summary-slot .nhsuk-error-summary");
    (summary || document.getElementById("result-count")).focus();
  } else if (!document.activeElement || document.activeElement === document.body) {
    document.getElementById("results-panel").focus();
  }
}

async function showFiltered(focus) {
  setForm(addressed());
  const filtered = allCards && (await filterCards(addressed()).catch(() => null));
  showNotice(filtered || [rules.not_saved]);
  if (focus) focusAnswer();
}

function filterOffline(event) {
  event.preventDefault();
  const address = addressFor(new URLSearchParams(new FormData(form)));
  // Cards the server already narrowed down cannot be filtered here: open the saved copy.
  if (!allCards) return window.location.assign(address);
  window.history.pushState({ offlineFilters: true }, "", address);
  showFiltered(true);
}

if (isPathwayPage) {
  if (root.dataset.offlineCopy !== undefined) {
    // Show what the address asks for, unless the copy was saved at it; focus stays at the top.
    const renderedFor = new URL(form.dataset.renderedFor, window.location.href);
    setForm(addressed());
    if (query(renderedFor.searchParams) === query(addressed())) showNotice();
    else showFiltered(false);
  }
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (offline && event.detail.elt === form) filterOffline(event);
  });
  // A request that failed for want of a network: from now on, filter here.
  document.body.addEventListener("htmx:sendError", (event) => {
    if (event.detail.elt !== form) return;
    offline = true;
    filterOffline(event);
    markDeadLinks();
  });
  // Back and Forward through offline filtering: htmx leaves states it did not make to us.
  window.addEventListener("popstate", (event) => event.state?.offlineFilters && showFiltered(true));
  // Results fetched from the server again: they are live, and no longer every card.
  document.body.addEventListener("htmx:afterSwap", () => {
    allCards = false;
    if (!offline) document.querySelector(".offline-notice")?.remove();
  });
}

// With no network, a link to a page not saved here (a checklist never opened; which, the
// service worker answers) or inside an element marked data-needs-signal says so, unfollowed.
const isOtherPage = (link) =>
  link instanceof HTMLAnchorElement &&
  link.origin === window.location.origin &&
  !(link.pathname === window.location.pathname && link.search === window.location.search);

async function markDeadLinks() {
  const links = Array.from(document.querySelectorAll("a[href]")).filter(isOtherPage);
  const asked = links.filter((link) => !link.closest("[data-needs-signal]"));
  const message = { type: "available", urls: asked.map((link) => link.href) };
  const answer = offline && (await ask(navigator.serviceWorker?.controller, message));
  for (const link of links) {
    const dead = offline && !answer?.[asked.indexOf(link)]; // online by now: alive
    link.toggleAttribute("data-offline-unavailable", dead);
    link.ariaDisabled = dead ? "true" : null;
    link.querySelector(".offline-link-note")?.remove();
    if (dead) link.append(copyOf("offline-link-note"));
  }
}

document.addEventListener("click", (event) => {
  if (offline && event.target.closest?.("a[data-offline-unavailable]")) event.preventDefault();
});

if (!isPathwayPage && root.dataset.offlineCopy !== undefined) showNotice();
if (offline) markDeadLinks();
for (const change of ["offline", "online"]) {
  window.addEventListener(change, () => {
    offline = change === "offline";
    markDeadLinks();
  });
}
