// Pathway Navigator's service worker (README, "Offline"): pages network first, else the saved
// copy, marked data-offline-copy; static files from the cache, refreshed behind. Never kept:
// /admin/, htmx fragments, anything but GET, responses private or no-store (signed in).

// A new version when saved pages change what offline.js reads (v4: cards carry stems).
const VERSION = "v4";
const STATIC_CACHE = `pathways-static-${VERSION}`;
const SAVED_CACHE = `pathways-saved-${VERSION}`; // answers its own address only
const FILTERABLE_CACHE = `pathways-filterable-${VERSION}`; // any address of the pathway
const SHELL = {{ shell|safe }};
const STATIC_PREFIX = {{ static_prefix|safe }};
const NEVER = {{ never|safe }};
// Saved as soon as offline support starts, so a first visit with no signal has somewhere to go.
const START_PAGES = {{ start_pages|safe }};
const PATHWAY_PAGES = {{ pathway_pages|safe }};
// The server's page for an address never saved: with a link to the saved home page, or not.
const NOT_SAVED = {{ not_saved|safe }};
const HTML = { "Content-Type": "text/html; charset=utf-8" };

self.addEventListener("install", (event) => event.waitUntil(install()));
async function install() {
  await (await caches.open(STATIC_CACHE)).addAll(SHELL);
  await Promise.all(START_PAGES.map((url) => saveFromNetwork(url)));
  await Promise.all(PATHWAY_PAGES.map((url) => saveFromNetwork(url, FILTERABLE_CACHE)));
  await self.skipWaiting();
}

self.addEventListener("activate", (event) => event.waitUntil(activate()));
async function activate() {
  const current = [STATIC_CACHE, SAVED_CACHE, FILTERABLE_CACHE];
  for (const name of await caches.keys()) {
    if (name.startsWith("pathways-") && !current.includes(name)) await caches.delete(name);
  }
  await self.clients.claim();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NEVER.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.headers.has("HX-Request")) return;
  if (url.pathname.startsWith(STATIC_PREFIX)) event.respondWith(staticFile(event));
  else if (request.mode === "navigate") event.respondWith(page(event));
});

// offline.js asks which links this worker could answer with no network; and for its page
// to be saved (the first page is fetched before this worker is in charge), with its
// pathway's unfiltered page and the home page fetched again (a 304 when unchanged).
self.addEventListener("message", (event) => {
  const { type, urls, page, unfiltered } = event.data ?? {};
  const port = event.ports[0];
  if (type === "available") {
    const answers = Promise.all(urls.map((url) => copyFor(url).then(Boolean)));
    event.waitUntil(answers.then((available) => port?.postMessage({ available })));
  } else if (type === "save") {
    const pages = [copyFor(page).then((copy) => Boolean(copy) || saveFromNetwork(page))];
    if (unfiltered !== page) pages.push(saveFromNetwork(unfiltered, FILTERABLE_CACHE));
    pages.push(...START_PAGES.map((url) => saveFromNetwork(url)));
    const saved = Promise.all(pages).then((results) => results.every(Boolean));
    event.waitUntil(saved.then((all) => port?.postMessage({ saved: all })));
  }
});

function keepable(response) {
  const control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/private|no-store/.test(control);
}

async function saveFromNetwork(url, cacheName = SAVED_CACHE) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
    if (!keepable(response)) return false;
    await (await caches.open(cacheName)).put(new URL(url, self.location.href).href, response);
    return true;
  } catch {
    return false;
  }
}

async function saved(url, cacheName = SAVED_CACHE) {
  return (await caches.open(cacheName)).match(url, { ignoreVary: true });
}

async function page(event) {
  const request = event.request;
  try {
    // Network first means the network: a copy from the browser's HTTP cache would be shown
    // offline without saying it is a copy. Unchanged, the page costs a 304 (it has an ETag).
    const response = await fetch(request, { cache: "no-cache" });
    const url = new URL(request.url);
    const isPage = (response.headers.get("Content-Type") || "").startsWith("text/html");
    if (isPage && keepable(response)) {
      const filterable = PATHWAY_PAGES.includes(url.pathname) && !url.search;
      const [name, copy] = [filterable ? FILTERABLE_CACHE : SAVED_CACHE, response.clone()];
      event.waitUntil(caches.open(name).then((cache) => cache.put(request.url, copy)));
    }
    return response;
  } catch {
    const copy = await copyFor(request.url);
    if (!copy) return notSaved();
    const savedAt = copy.headers.get("Date") || "";
    const html = (await copy.text()).replace("<html", `<html data-offline-copy="${savedAt}"`);
    return new Response(html, { headers: HTML });
  }
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

async function staticFile(event) {
  const cache = await caches.open(STATIC_CACHE);
  const copy = await cache.match(event.request, { ignoreVary: true });
  const fresh = fetch(event.request)
    .then(async (response) => {
      if (keepable(response)) await cache.put(event.request, response.clone());
      return response;
    })
    .catch(() => undefined);
  if (copy) event.waitUntil(fresh);
  return copy || (await fresh) || Response.error();
}
