// Pathway Navigator's service worker (README, "Offline"): pages network first, and after
// NETWORK_TIMEOUT_MS the saved copy, marked data-offline-copy; static files and pathways'
// tables from the cache. Never kept: /admin/, htmx fragments, anything but GET, responses
// private or no-store (signed in).

// A new version when what is saved changes (v5: static files once, by the names pages use;
// a pathway's search tables apart from its page, under the content version).
const VERSION = "v5";
const STATIC_CACHE = `pathways-static-${VERSION}`;
const SAVED_CACHE = `pathways-saved-${VERSION}`; // answers its own address only
// Pathways' unfiltered pages, each answering any address of its pathway, and their tables.
const FILTERABLE_CACHE = `pathways-filterable-${VERSION}`;
const SHELL = {{ shell|safe }};
const STATIC_PREFIX = {{ static_prefix|safe }};
const NEVER = {{ never|safe }};
// Saved as soon as offline support starts, so a first visit with no signal has somewhere to go.
const START_PAGES = {{ start_pages|safe }};
const PATHWAY_PAGES = {{ pathway_pages|safe }};
// The server's page for an address never saved: with a link to the saved home page, or not.
const NOT_SAVED = {{ not_saved|safe }};
// How long a page waits for the network before the saved copy is shown (offline/views.py).
const NETWORK_TIMEOUT_MS = {{ network_timeout_ms|safe }};
const HTML = { "Content-Type": "text/html; charset=utf-8" };

self.addEventListener("install", (event) => event.waitUntil(install()));
async function install() {
  await (await caches.open(STATIC_CACHE)).addAll(SHELL);
  const pages = START_PAGES.map((url) => saveFromNetwork(url));
  await Promise.all([...pages, ...PATHWAY_PAGES.map(savePathway)]);
  await self.skipWaiting();
}

self.addEventListener("activate", (event) => event.waitUntil(activate()));
async function activate() {
  const current = [STATIC_CACHE, SAVED_CACHE, FILTERABLE_CACHE];
  for (const name of await caches.keys()) {
    if (name.startsWith("pathways-") && !current.includes(name)) await caches.delete(name);
  }
  // A page's request starts as the worker wakes up, not after.
  await self.registration.navigationPreload?.enable();
  await self.clients.claim();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.headers.has("HX-Request")) return;
  const never = NEVER.some((prefix) => url.pathname.startsWith(prefix));
  if (request.mode === "navigate") event.respondWith(never ? network(event) : page(event));
  else if (!never) event.respondWith(fromCache(event));
});

// offline.js asks which links this worker could answer with no network; and for its pathway
// to be saved (the first page comes before this worker is in charge), which fetches anything
// only when the pathway's tables for this content version are not saved.
self.addEventListener("message", (event) => {
  const { type, urls, page, tables } = event.data ?? {};
  const port = event.ports[0];
  if (type === "available") {
    const answers = Promise.all(urls.map((url) => copyFor(url).then(Boolean)));
    event.waitUntil(answers.then((available) => port?.postMessage({ available })));
  } else if (type === "save") {
    const { origin, pathname } = new URL(page);
    const pages = () => [savePathway(origin + pathname), ...START_PAGES.map((u) => saveFromNetwork(u))];
    const all = async () => (await Promise.all(pages())).every(Boolean);
    const done = saved(tables, FILTERABLE_CACHE).then((copy) => Boolean(copy) || all());
    event.waitUntil(done.then((saved) => port?.postMessage({ saved })));
  }
});

function keepable(response) {
  const control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/private|no-store/.test(control);
}

const absolute = (url) => new URL(url, self.location.href).href;
// Network first means the network: a copy from the browser's HTTP cache would be shown
// offline without saying it is a copy. Unchanged, a page costs a 304 (it has an ETag).
const fetchKept = (url) =>
  fetch(url, { credentials: "same-origin", cache: "no-cache" })
    .then((response) => (keepable(response) ? response : null))
    .catch(() => null);

async function saveFromNetwork(url, cacheName = SAVED_CACHE) {
  const response = await fetchKept(url);
  if (response) await (await caches.open(cacheName)).put(absolute(url), response);
  return Boolean(response);
}

// A pathway's unfiltered page and the tables its Offline-Tables header names, in place of
// those of an earlier content version.
async function savePathway(url) {
  const response = await fetchKept(url);
  const tables = response?.headers.get("Offline-Tables");
  if (!tables || !(await saveFromNetwork(tables, FILTERABLE_CACHE))) return false;
  const cache = await caches.open(FILTERABLE_CACHE);
  await cache.put(absolute(url), response);
  for (const { url: key } of await cache.keys()) {
    if (key.startsWith(`${absolute(url)}offline-`) && key !== absolute(tables)) cache.delete(key);
  }
  return true;
}

async function saved(url, cacheName = SAVED_CACHE) {
  return (await caches.open(cacheName)).match(url, { ignoreVary: true });
}

// The preloaded response (asked for as the worker woke), else the network's.
const network = (event) =>
  Promise.resolve(event.preloadResponse).then(
    (early) => early || fetch(event.request, { cache: "no-cache" }),
  );

// The network's page, saved; the saved copy when the network fails or is slower than
// NETWORK_TIMEOUT_MS (no waiting when the device knows it is offline: the HTTP cache might
// answer, unmarked). An answer after that is still saved for next time.
async function page(event) {
  const url = new URL(event.request.url);
  const answer = network(event).then((response) => keep(url, response));
  event.waitUntil(answer.catch(() => null));
  const waited = self.navigator.onLine ? NETWORK_TIMEOUT_MS : 0;
  const late = new Promise((resolve) => setTimeout(resolve, waited, null));
  const first = await Promise.race([answer.catch(() => null), late]);
  const copy = first ? null : await copyFor(url.href);
  if (!copy) return first || (await answer.catch(() => null)) || notSaved();
  const savedAt = copy.headers.get("Date") || "";
  const html = (await copy.text()).replace("<html", `<html data-offline-copy="${savedAt}"`);
  return new Response(html, { headers: HTML });
}

async function keep(url, response) {
  const isPage = (response.headers.get("Content-Type") || "").startsWith("text/html");
  if (isPage && keepable(response)) {
    const filterable = PATHWAY_PAGES.includes(url.pathname) && !url.search;
    const cache = await caches.open(filterable ? FILTERABLE_CACHE : SAVED_CACHE);
    await cache.put(url.href, response.clone());
  }
  return response;
}

// The saved copy answering `url` with no network: its pathway's unfiltered page, else its own.
async function copyFor(url) {
  const { origin, pathname, search } = new URL(url);
  return (await saved(origin + pathname, FILTERABLE_CACHE)) || saved(origin + pathname + search);
}

async function notSaved() {
  // Somewhere to go that works now, if there is one (nothing is saved for a signed-in person).
  const html = (await saved(START_PAGES[0])) ? NOT_SAVED.home : NOT_SAVED.nothing;
  return new Response(html, { status: 503, headers: HTML });
}

// A static file (its name changes with its content in production) or a pathway's tables:
// the saved copy, else the network's, a static file saved.
async function fromCache(event) {
  const copy = await caches.match(event.request, { ignoreVary: true });
  const response = copy || (await fetch(event.request).catch(() => Response.error()));
  if (!copy && new URL(event.request.url).pathname.startsWith(STATIC_PREFIX) && keepable(response)) {
    const kept = response.clone();
    event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.put(event.request, kept)));
  }
  return response;
}
