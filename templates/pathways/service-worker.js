// Pathway Navigator's service worker (README, "Offline"): pages network first, then (after
// NETWORK_TIMEOUT_MS) the saved copy, marked data-offline-copy; static files and tables from
// the cache. Never kept: /admin/, htmx fragments, anything but GET, private or no-store.

// A new version when what is saved changes (v5: static files once; pathways' tables apart).
const VERSION = "v5";
const STATIC_CACHE = `pathways-static-${VERSION}`;
// Pages by address (a pathway's unfiltered page answers any of its addresses) and tables.
const SAVED_CACHE = `pathways-saved-${VERSION}`;
// From the server: offline/views.py says what each is, and why.
const SHELL = {{ shell|safe }};
const STATIC_PREFIX = {{ static_prefix|safe }};
const NEVER = {{ never|safe }};
const START_PAGES = {{ start_pages|safe }};
const PATHWAY_PAGES = {{ pathway_pages|safe }};
const NOT_SAVED = {{ not_saved|safe }};
const NETWORK_TIMEOUT_MS = {{ network_timeout_ms|safe }};
const HTML = { "Content-Type": "text/html; charset=utf-8" };

self.addEventListener("install", (event) => event.waitUntil(install()));
async function install() {
  await (await caches.open(STATIC_CACHE)).addAll(SHELL);
  await Promise.all([...START_PAGES.map((url) => save(url)), ...PATHWAY_PAGES.map(savePathway)]);
  await self.skipWaiting();
}

self.addEventListener("activate", (event) => event.waitUntil(activate()));
async function activate() {
  const old = (name) => name.startsWith("pathways-") && ![STATIC_CACHE, SAVED_CACHE].includes(name);
  await Promise.all((await caches.keys()).filter(old).map((name) => caches.delete(name)));
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

// offline.js asks which links this worker could answer with no network, and for its pathway
// to be saved (its first page comes before this worker is in charge).
self.addEventListener("message", (event) => {
  const { type, urls, page, tables } = event.data ?? {};
  const available = () => Promise.all(urls.map((url) => copyFor(url).then(Boolean)));
  const answer = type === "save" ? saveOnce(page, tables) : available();
  event.waitUntil(answer.then((data) => event.ports[0]?.postMessage(data)));
});

// Nothing is fetched while the page (in its area) is saved with this content version's tables.
async function saveOnce(page, tables) {
  const copy = await saved(unfiltered(page));
  if (copy?.headers.get("Offline-Tables") === tables && (await saved(tables))) return true;
  const pages = [savePathway(unfiltered(page)), ...START_PAGES.map((url) => save(url))];
  return (await Promise.all(pages)).every(Boolean);
}

function keepable(response) {
  const control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/private|no-store/.test(control);
}

// The page or tables at `url`, saved and returned (null if not kept), from the network: the
// browser's HTTP cache may be stale. Unchanged, a page costs a 304 (it has an ETag).
async function save(url) {
  const response = await fetch(url, { cache: "no-cache" }).catch(() => null);
  if (!response || !keepable(response)) return null;
  await (await caches.open(SAVED_CACHE)).put(url, response.clone());
  return response;
}

// A pathway's unfiltered page and the tables it names, replacing an earlier version's.
async function savePathway(url) {
  const tables = (await save(url))?.headers.get("Offline-Tables");
  if (!tables || !(await save(tables))) return false;
  const cache = await caches.open(SAVED_CACHE);
  const old = (key) => key.includes(tables.replace(/[^/]*$/, "offline-")) && !key.endsWith(tables);
  for (const { url: key } of await cache.keys()) if (old(key)) cache.delete(key);
  return true;
}

const saved = (url) => caches.match(url, { cacheName: SAVED_CACHE, ignoreVary: true });

const network = async (event) =>
  (await event.preloadResponse) || fetch(event.request, { cache: "no-cache" });

// The network's page, saved; the saved copy if the network fails or takes NETWORK_TIMEOUT_MS,
// at once if the device knows it is offline (the HTTP cache might answer, unmarked).
async function page(event) {
  const { url } = event.request;
  const isPage = (response) => response.headers.get("Content-Type")?.startsWith("text/html");
  const answer = network(event)
    .then((response) => (isPage(response) ? keepCopy(event, SAVED_CACHE, url, response) : response))
    .catch(() => null);
  event.waitUntil(answer);
  const late = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS, null));
  const first = self.navigator.onLine && (await Promise.race([answer, late]));
  const copy = first ? null : await copyFor(url);
  if (!copy) return first || (await answer) || notSaved();
  const savedAt = copy.headers.get("Date") || "";
  const html = (await copy.text()).replace("<html", `<html data-offline-copy="${savedAt}"`);
  return new Response(html, { headers: HTML });
}

// The response the browser is given, a copy kept (if it may be) while the worker lives on.
function keepCopy(event, cacheName, request, response) {
  const copy = keepable(response) && response.clone();
  if (copy) event.waitUntil(caches.open(cacheName).then((cache) => cache.put(request, copy)));
  return response;
}

// The saved copy answering `url` with no network: its pathway's unfiltered page in the area
// the URL names (never the national page, which lacks the area's referral routes), else its own.
const copyFor = (url) =>
  saved(PATHWAY_PAGES.includes(new URL(url).pathname) ? unfiltered(url) : url);
function unfiltered(url) {
  const { origin, pathname, searchParams } = new URL(url);
  const area = searchParams.getAll("area").at(-1); // the last, as the server reads it
  return origin + pathname + (area ? `?${new URLSearchParams({ area })}` : "");
}

async function notSaved() {
  // Somewhere to go that works now, if there is one (nothing is saved for a signed-in person).
  const html = (await saved(START_PAGES[0])) ? NOT_SAVED.home : NOT_SAVED.nothing;
  return new Response(html, { status: 503, headers: HTML });
}

// A static file or a pathway's tables: the saved copy, else the network's (a static file kept).
async function fromCache(event) {
  const copy = await caches.match(event.request, { ignoreVary: true });
  const response = copy || (await fetch(event.request).catch(() => Response.error()));
  const isStatic = new URL(event.request.url).pathname.startsWith(STATIC_PREFIX);
  return copy || !isStatic ? response : keepCopy(event, STATIC_CACHE, event.request, response);
}
