// The pathway browser's filters and results, for when there is no network: the same rules as
// pathways/filters.py and pathways/ages.py, and the same markup as the results partial of
// templates/pathways/pathway_browser.html, applied to the pathway's saved data (the JSON
// API). tests/test_offline.py compares what this shows with the server's page for the same
// addresses, so a change on one side that is not made on the other fails a test.

const MAX_LENGTH = { age: 40, q: 200, dob: 20, born_at_weeks: 10000 };
const MAX_AGE_DAYS = 19 * 365;
// Days per unit in ten-thousandths of a day, so the sums are exact: a year is 365.25 days
// and a month 30.4375 (a twelfth of a year), as in pathways/ages.py.
const UNIT_TEN_THOUSANDTHS = { y: 3652500, m: 304375, w: 70000, d: 10000 };
const UNIT_WORDS = {
  y: "y|yr|yrs|year|years",
  m: "m|mo|mth|mths|month|months",
  w: "w|wk|wks|week|weeks",
  d: "d|day|days",
};
const AGE_RE = new RegExp(
  "^\\s*" +
    Object.entries(UNIT_WORDS)
      .map(([unit, words]) => `(?:(?<${unit}>\\d{1,5})\\s*(?:${words})(?![a-z])\\s*,?\\s*(?:and\\s+)?)?`)
      .join("") +
    "$",
  "i",
);

/** The child's age in days, or throws an Error whose message is the page's. */
export function parseAge(text) {
  const match = AGE_RE.exec(text);
  const parts = match ? match.groups : {};
  if (!match || !Object.values(parts).some(Boolean)) {
    if (/^\d+$/.test(text)) {
      throw new Error(
        "Add a unit to the child's age: d for days, w for weeks, " +
          "m for months or y for years, for example 10w.",
      );
    }
    throw new Error("Enter the child's age using d, w, m or y, for example 45d, 10w, 3m, 2y or 1y6m.");
  }
  let total = 0;
  for (const [unit, size] of Object.entries(UNIT_TEN_THOUSANDTHS)) {
    total += Number(parts[unit] || 0) * size;
  }
  // To the nearest whole day, halves up.
  const days = Math.floor((total + 5000) / 10000);
  if (days > MAX_AGE_DAYS) throw new Error("Enter a child's age under 19 years.");
  return days;
}

const toDays = (months) => Math.floor((months * UNIT_TEN_THOUSANDTHS.m + 5000) / 10000);
const plural = (n, unit) => `${n} ${unit}${n === 1 ? "" : "s"}`;
const joinParts = (...parts) => parts.filter(([n]) => n).map(([n, u]) => plural(n, u)).join(" ") ||
  plural(0, parts.at(-1)[1]);

/** An age in days in words, as pathways.ages.describe_days. */
export function describeDays(days) {
  if (days < 7) return plural(days, "day");
  if (days < 26 * 7) return joinParts([Math.floor(days / 7), "week"], [days % 7, "day"]);
  let months = Math.floor((days * 10000) / UNIT_TEN_THOUSANDTHS.m) + 1;
  while (toDays(months) > days) months -= 1;
  const rest = days - toDays(months);
  if (months < 24) return joinParts([months, "month"], [Math.floor(rest / 7), "week"]);
  return joinParts([Math.floor(months / 12), "year"], [months % 12, "month"]);
}

const DOB_INVALID = "Enter the date of birth as a real date, for example 14/03/2026.";
const DOB_FORMATS = [
  [/^(\d{4})-(\d{1,2})-(\d{1,2})$/, (m) => [m[1], m[2], m[3]]],
  [/^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$/, (m) => [m[3], m[2], m[1]]],
];

function today() {
  const now = new Date();
  return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
}

/** Days since a date of birth, or throws an Error whose message is the page's. */
export function parseDob(text) {
  for (const [pattern, order] of DOB_FORMATS) {
    const match = pattern.exec(text);
    if (!match) continue;
    const [y, m, d] = order(match).map(Number);
    const born = Date.UTC(y, m - 1, d);
    const check = new Date(born);
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) break;
    const now = today();
    if (born > now) throw new Error("The date of birth is in the future.");
    const nowDate = new Date(now);
    let limit = Date.UTC(nowDate.getUTCFullYear() - 5, nowDate.getUTCMonth(), nowDate.getUTCDate());
    if (new Date(limit).getUTCMonth() !== nowDate.getUTCMonth()) {
      limit = Date.UTC(nowDate.getUTCFullYear() - 5, nowDate.getUTCMonth(), 28);
    }
    if (born < limit) {
      throw new Error(
        "Enter a date of birth in the last 5 years: this pathway is for children up to 5.",
      );
    }
    return Math.round((now - born) / 86400000);
  }
  throw new Error(DOB_INVALID);
}

/** Weeks of pregnancy at birth, or throws an Error whose message is the page's. */
function parseGestation(text) {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new Error("Enter the weeks of pregnancy at birth as a whole number, from 23 to 36.");
  }
  const weeks = Number(text);
  if (weeks < 23) throw new Error("Enter the weeks of pregnancy at birth from 23 to 36.");
  if (weeks > 36) throw new Error("Enter the weeks at birth only for a baby born early: 36 or fewer.");
  return weeks;
}

/** The age the pathway is read at, and what the page says about it (pathways.ages.ChildAge). */
export function childAge(actual, bornAtWeeks, fromDateOfBirth) {
  const todayWord = fromDateOfBirth ? " today" : "";
  const weeksEarly = bornAtWeeks ? 40 - bornAtWeeks : 0;
  const corrected = weeksEarly > 0 && actual < toDays(24);
  const correctedDays = actual - 7 * weeksEarly;
  const days = corrected ? Math.max(correctedDays, 0) : actual;
  if (!bornAtWeeks) {
    return { days, sentences: [`Showing what applies to a child aged ${describeDays(days)}${todayWord}.`] };
  }
  const early = `born at ${bornAtWeeks} weeks, ${weeksEarly} weeks early`;
  if (!corrected) {
    return {
      days,
      sentences: [
        `Showing what applies to a child aged ${describeDays(actual)}${todayWord} (actual age).`,
        `The child was ${early}, but from 2 years old age is not corrected for prematurity, so the actual age is used.`,
      ],
    };
  }
  if (correctedDays < 0) {
    return {
      days,
      sentences: [
        "Showing what applies at birth (corrected age 0 days).",
        `The child is ${describeDays(actual)} old${todayWord} (actual age) and was ${early}: ` +
          `they have not reached their due date, which is ${describeDays(-correctedDays)} away.`,
      ],
    };
  }
  return {
    days,
    sentences: [
      `Showing what applies to a child aged ${describeDays(days)} (corrected age).`,
      `The child is ${describeDays(actual)} old${todayWord} (actual age) and was ${early}; ` +
        "below 2 years old the pathway is read at the corrected age.",
    ],
  };
}

/** A search split into words and "phrases" that must appear and -words that must not. */
export function parseTerms(text) {
  const include = [];
  const exclude = [];
  for (const match of text.matchAll(/(-?)"([^"]*)"?|(-?)(\S+)/g)) {
    const value = (match[2] ?? match[4] ?? "").split(/\s+/).filter(Boolean).join(" ").replace(/^"+|"+$/g, "");
    if (!value || value === "-") continue;
    (match[1] || match[3] ? exclude : include).push(value);
  }
  return { include, exclude };
}

/** A text field cleaned as Django's CharField cleans it: [value, errors]. */
function cleanText(params, name) {
  const values = params.getAll(name);
  const value = (values.length ? values[values.length - 1] : "").trim();
  const errors = [];
  if (!value) return [value, errors];
  const length = [...value].length;
  if (length > MAX_LENGTH[name]) {
    errors.push(
      `Ensure this value has at most ${MAX_LENGTH[name]} characters (it has ${length}).`,
    );
  }
  if (value.includes("\0")) errors.push("Null characters are not allowed.");
  return [value, errors];
}

/** The query string without empty values, as filters.canonical_query makes it. */
export function canonicalQuery(params) {
  const query = new URLSearchParams();
  for (const [key, value] of params) if (value.trim()) query.append(key, value);
  return query.toString();
}

/** The query string with one value of one parameter taken out, as filters._without does. */
function without(params, name, value) {
  return canonicalQuery([...params].filter(([key, item]) => !(key === name && item === value)));
}

/**
 * Filters the saved `data` ({pathway, entries}) by `params` (URLSearchParams) as EntryFilter
 * does; `labels` are the form's labels by parameter name.
 */
export function filterEntries(data, params, labels) {
  const options = {
    stage: data.filters.stage.map((s) => ({ slug: s.slug, text: s.label, range: s })),
    service: data.filters.service.map((s) => ({ slug: s.slug, text: s.name })),
    tag: data.filters.tag.map((t) => ({ slug: t.slug, text: t.name })),
  };
  const chosen = {};
  const unrecognised = [];
  for (const name of ["stage", "service", "tag"]) {
    const values = params.getAll(name);
    const known = new Set(options[name].map((option) => option.slug));
    chosen[name] = options[name].filter((option) => values.includes(option.slug));
    const unknown = values.filter((value) => !known.has(value));
    if (unknown.length) unrecognised.push([labels[name], unknown]);
  }
  const errors = [];
  const fieldErrors = { age: [], dob: [], born_at_weeks: [] };
  const [ageText, ageErrors] = cleanText(params, "age");
  let typed = null;
  fieldErrors.age.push(...ageErrors);
  if (!ageErrors.length && ageText) {
    try {
      typed = parseAge(ageText);
    } catch (error) {
      fieldErrors.age.push(error.message);
    }
  }
  const [dobText, dobErrors] = cleanText(params, "dob");
  let bornDays = null;
  if (dobErrors.length) fieldErrors.dob.push(DOB_INVALID);
  else if (dobText) {
    try {
      bornDays = parseDob(dobText);
    } catch (error) {
      fieldErrors.dob.push(error.message);
    }
  }
  const [gestationText] = cleanText(params, "born_at_weeks");
  let gestation = null;
  if (gestationText) {
    try {
      gestation = parseGestation(gestationText);
    } catch (error) {
      fieldErrors.born_at_weeks.push(error.message);
    }
  }
  let child = null;
  if (typed !== null && bornDays !== null) {
    errors.push([null, "Give the child's age or their date of birth, not both."]);
  } else if (gestation !== null && typed === null && bornDays === null) {
    if (!fieldErrors.age.length && !fieldErrors.dob.length) {
      fieldErrors.born_at_weeks.push(
        "Give the child's age or date of birth as well as the weeks at birth.",
      );
    }
  } else if (bornDays !== null) {
    child = childAge(bornDays, gestation, true);
  } else if (typed !== null) {
    child = childAge(typed, gestation, false);
  }
  for (const name of ["age", "dob", "born_at_weeks"]) {
    errors.push(...fieldErrors[name].map((message) => [name, message]));
  }
  const days = child ? child.days : null;
  const [words, wordErrors] = cleanText(params, "q");
  errors.push(...wordErrors.map((message) => ["q", message]));
  const terms = wordErrors.length ? { include: [], exclude: [] } : parseTerms(words);

  const entries = data.entries.filter((entry) => {
    const band = entry.age_band;
    if (
      chosen.stage.length &&
      !chosen.stage.some(({ range }) => band.start_days < range.end_days && range.start_days < band.end_days)
    ) {
      return false;
    }
    if (days !== null && !(band.start_days <= days && days < band.end_days)) return false;
    if (chosen.service.length && !chosen.service.some((s) => s.slug === entry.service.slug)) return false;
    if (chosen.tag.length && !chosen.tag.some((t) => t.slug === entry.tag?.slug)) return false;
    if (terms.include.length || terms.exclude.length) {
      const texts = [
        entry.rationale,
        entry.criteria || "",
        ...entry.interventions.flatMap((i) => [i.text, ...i.bullets]),
      ].map((text) => text.toLowerCase());
      const found = (term) => texts.some((text) => text.includes(term.toLowerCase()));
      return terms.include.every(found) && !terms.exclude.some(found);
    }
    return true;
  });

  const active = [];
  const lastValue = (name) => params.getAll(name).at(-1) ?? "";
  const addChosen = (name) => {
    for (const option of chosen[name]) {
      active.push({
        parameter: name,
        value: option.slug,
        label: labels[name],
        text: option.text,
        query: without(params, name, option.slug),
      });
    }
  };
  const addTyped = (name, valid, label = labels[name], suffix = "") => {
    if (!valid) return;
    const value = lastValue(name);
    active.push({
      parameter: name,
      value,
      label,
      text: value.trim() + suffix,
      query: without(params, name, value),
    });
  };
  addChosen("stage");
  addTyped("age", typed !== null);
  addTyped("dob", bornDays !== null);
  addTyped("born_at_weeks", gestation !== null && !fieldErrors.born_at_weeks.length, "Born at", " weeks");
  addChosen("service");
  addChosen("tag");
  addTyped("q", !wordErrors.length && words !== "");
  return {
    entries,
    unrecognised,
    errors: errors.map(([name, message]) => [name && labels[name], message]),
    active,
    child,
  };
}

// Rendering: DOM nodes built with text content only, so saved text can never become markup.

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) element.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const hidden = (text) => h("span", { class: "nhsuk-u-visually-hidden" }, text);

function entryCard(entry) {
  return h(
    "article",
    { class: "nhsuk-card entry", id: `entry-${entry.position}` },
    h(
      "div",
      { class: "nhsuk-card__content" },
      h(
        "dl",
        { class: "entry__labels" },
        h("dt", { class: "nhsuk-u-visually-hidden" }, "Age band"),
        h("dd", {}, h("strong", { class: "nhsuk-tag nhsuk-tag--white" }, entry.age_band.label)),
        entry.tag && [
          h("dt", { class: "nhsuk-u-visually-hidden" }, "Tag"),
          h("dd", {}, h("strong", { class: "nhsuk-tag nhsuk-tag--purple" }, entry.tag.name)),
        ],
      ),
      h("h3", { class: "nhsuk-card__heading nhsuk-heading-s" }, entry.rationale),
      entry.criteria &&
        h("div", { class: "nhsuk-inset-text entry__criteria" }, hidden("Criteria: "), h("p", {}, entry.criteria)),
      h(
        "dl",
        { class: "entry__service" },
        h("dt", { class: "nhsuk-u-visually-hidden" }, "Service"),
        h("dd", {}, entry.service.name),
      ),
      entry.interventions.map((intervention) => [
        intervention.text && h("p", {}, intervention.text),
        intervention.bullets.length > 0 &&
          h(
            "ul",
            { class: "nhsuk-list nhsuk-list--bullet" },
            intervention.bullets.map((point) => h("li", {}, point)),
          ),
      ]),
      // The page's words for an entry the seed gives no actions (pathway_browser.html).
      entry.interventions.length === 0 &&
        h(
          "p",
          { class: "nhsuk-body-s nhsuk-u-secondary-text-colour entry__no-actions" },
          "No actions listed in the source pathway",
        ),
      h(
        "p",
        { class: "entry__actions nhsuk-body-s" },
        h("a", { href: entry.report_url }, "Report a problem with this content", hidden(`: ${entry.rationale}`)),
      ),
    ),
  );
}

function stageSections(entries) {
  const groups = [];
  for (const entry of entries) {
    const last = groups.at(-1);
    if (last && last.stage.slug === entry.stage.slug) last.entries.push(entry);
    else groups.push({ stage: entry.stage, entries: [entry] });
  }
  return groups.map(({ stage, entries: inStage }) =>
    h(
      "section",
      { class: "results__stage", "aria-labelledby": `stage-heading-${stage.slug}` },
      h("h2", { class: "results__stage-heading", id: `stage-heading-${stage.slug}` }, stage.label),
      inStage.map(entryCard),
    ),
  );
}

function printedOn(date) {
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
}

/** Replaces the count and the results panel's contents with `result` for `params`. */
export function renderResults({ count, panel }, data, result, params) {
  const { entries, unrecognised, errors, active, child } = result;
  const pageUrl = data.pathway.url;
  count.textContent = `Showing ${entries.length} of ${data.total} rationales`;
  const query = canonicalQuery(params);
  const plural = (values, one, many) => (values.length === 1 ? one : many);
  const parts = [
    h(
      "div",
      { class: "print-only results__print-summary" },
      h(
        "p",
        {},
        active.length
          ? `Filters: ${active.map((item) => `${item.label}: ${item.text}`).join("; ")}`
          : "No filters: every rationale of the pathway.",
      ),
      h("p", {}, `Printed from ${window.location.href} on ${printedOn(new Date())}.`),
    ),
    active.length > 0 &&
      h(
        "div",
        { class: "active-filters" },
        h("h2", { class: "nhsuk-heading-xs active-filters__heading", id: "active-filters-heading" }, "Filters in use"),
        h(
          "ul",
          { class: "active-filters__list", "aria-labelledby": "active-filters-heading" },
          active.map((item) =>
            h(
              "li",
              {},
              h(
                "a",
                {
                  class: "active-filters__remove",
                  href: `?${item.query}`,
                  "data-filter-parameter": item.parameter,
                  "data-filter-value": item.value,
                },
                hidden("Remove filter "),
                `${item.label}: ${item.text} `,
                h("span", { "aria-hidden": "true" }, "×"),
              ),
            ),
          ),
          h("li", {}, h("a", { class: "active-filters__clear", href: pageUrl, "data-filters-clear": "" }, "Clear filters")),
        ),
      ),
    child &&
      h(
        "div",
        { class: "nhsuk-inset-text child-age" },
        hidden("Child's age: "),
        child.sentences.map((sentence) => h("p", {}, sentence)),
      ),
    (unrecognised.length > 0 || errors.length > 0) &&
      h(
        "div",
        { class: "nhsuk-card nhsuk-card--warning results__notices" },
        h(
          "div",
          { class: "nhsuk-card__content" },
          h(
            "h2",
            { class: "nhsuk-card__heading nhsuk-heading-s" },
            hidden("Important: "),
            "Some of your choices were not used",
          ),
          h(
            "ul",
            { class: "nhsuk-list" },
            unrecognised.map(([label, values]) =>
              h(
                "li",
                {},
                `${label}: ${values.map((v) => `“${v}”`).join(", ")} ` +
                  `${plural(values, "was", "were")} not recognised, so ` +
                  `${plural(values, "it was", "they were")} ignored.`,
              ),
            ),
            errors.map(([label, message]) => h("li", {}, label ? `${label}: ${message}` : message)),
          ),
        ),
      ),
    h(
      "p",
      { class: "results__download nhsuk-body-s" },
      h("a", { href: `${data.pathway.csv_url}${query ? `?${query}` : ""}` }, "Download these results (CSV)"),
    ),
    h(
      "ul",
      { class: "nhsuk-list results__actions" },
      h(
        "li",
        {},
        h("a", { class: "share-link", href: new URL(`${pageUrl}${query ? `?${query}` : ""}`, window.location.href).href, "data-copy-link": "" }, "Copy link to these results"),
        h("span", { class: "share-link__status", role: "status" }),
      ),
      " ", // the template's whitespace between the two links, which inline items show
      h("li", {}, h("a", { href: `${pageUrl}checklist/${query ? `?${query}` : ""}` }, "Visit checklist for these results")),
    ),
    h(
      "div",
      { id: "results", class: "results" },
      entries.length
        ? stageSections(entries)
        : h(
            "div",
            { class: "results__empty" },
            h("p", {}, "There are no rationales that match your filters."),
            h("p", {}, "Please amend your choices to see more rationales."),
          ),
    ),
  ];
  panel.replaceChildren(...parts.filter(Boolean));
}
