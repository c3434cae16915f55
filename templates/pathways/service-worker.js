// Pathway Navigator's service worker: keeps the pages a practitioner has opened, and the
// unfiltered page of each pathway opened, so that they work on a home visit with no signal.
//
// Pages: network first, the saved copy when the network fails; any address of a pathway is
// answered with its saved unfiltered page, whose cards offline.js filters to the address. A
// page answered from a saved copy is marked (data-offline-copy on <html>, holding when it
// was saved). Static files: the saved copy at once, refreshed in the background. Never
// kept: /admin/, htmx fragments, anything but GET, and any response marked private or
// no-store, which is every response to a signed-in person (pathways.offline.views sets that).

// v2: saved pathway pages carry their cards' filtering data; v1's copies and API data do not.
// v3: the home page and every pathway are saved on install; unfiltered pathway copies are
// marked as the ones offline.js filters.
const VERSION = "v3";
const STATIC_CACHE = `pathways-static-${VERSION}`;
const SAVED_CACHE = `pathways-saved-${VERSION}`;
const SHELL = {{ shell|safe }};
const STYLESHEETS = {{ stylesheets|safe }};
const STATIC_PREFIX = {{ static_prefix|safe }};
const NEVER = {{ never|safe }};
// The installed app's start page (the home page) and each published pathway's page: saved
// as soon as offline support starts, so the first visit without a signal has somewhere to go.
const START_PAGES = {{ start_pages|safe }};
const PATHWAY_PAGES = {{ pathway_pages|safe }};
const SAVED_AT = "X-Saved-At";
// Set on a saved pathway page holding every card, which offline.js filters to any address
// of that pathway; another page is only ever answered at its own address.
const FILTERABLE = "X-Filterable-Offline";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => Promise.all(START_PAGES.map((url) => saveFromNetwork(url))))
      .then(() =>
        Promise.all(PATHWAY_PAGES.map((url) => saveFromNetwork(url, { filterable: true }))),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("pathways-") && ![STATIC_CACHE, SAVED_CACHE].includes(name))
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NEVER.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.headers.has("HX-Request")) return;
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staticFile(event));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

// offline.js asks for the page it is on to be saved (the first page seen is fetched before
// this worker is in charge) and for its pathway's unfiltered page, fetched again each time so
// it stays current (a 304 when unchanged); the answer says whether both are now saved.
self.addEventListener("message", (event) => {
  if (event.data?.type === "available") {
    // offline.js asks which links on its page this worker could answer with no network.
    const answers = event.data.urls.map((url) => copyFor(url).then(Boolean));
    event.waitUntil(
      Promise.all(answers).then((available) => event.ports[0]?.postMessage({ available })),
    );
    return;
  }
  if (event.data?.type !== "save") return;
  const { page, unfiltered } = event.data;
  const port = event.ports[0];
  const pages = [saved(new Request(page)).then((copy) => Boolean(copy) || saveFromNetwork(page))];
  if (unfiltered !== page) pages.push(saveFromNetwork(unfiltered, { filterable: true }));
  // The home page too, where the installed app starts (refreshed on each visit).
  pages.push(...START_PAGES.map((url) => saveFromNetwork(url)));
  event.waitUntil(
    Promise.all(pages).then((results) => port?.postMessage({ saved: results.every(Boolean) })),
  );
});

function keepable(response) {
  const control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/private|no-store/.test(control);
}

async function keep(cacheName, url, response, { filterable = false } = {}) {
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, new Date().toISOString());
  if (filterable) headers.set(FILTERABLE, "yes");
  const copy = new Response(await response.blob(), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
  await (await caches.open(cacheName)).put(url, copy);
}

async function saveFromNetwork(url, options = {}) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
    if (!keepable(response)) return false;
    await keep(SAVED_CACHE, new URL(url, self.location.href).href, response, options);
    return true;
  } catch {
    return false;
  }
}

async function saved(request, options = {}) {
  const cache = await caches.open(SAVED_CACHE);
  return cache.match(request.url, { ignoreVary: true, ...options });
}

async function page(event) {
  const request = event.request;
  try {
    // Network first means the network: pages may sit in the browser's HTTP cache for their
    // max-age, and a copy from there would be shown offline without saying it is a copy.
    // Asking the server again costs a 304 when nothing changed (the page has an ETag).
    const response = await fetch(request, { cache: "no-cache" });
    const isPage = (response.headers.get("Content-Type") || "").startsWith("text/html");
    if (isPage && keepable(response)) {
      const unfiltered = PATHWAY_PAGES.includes(new URL(request.url).pathname) && !new URL(request.url).search;
      event.waitUntil(keep(SAVED_CACHE, request.url, response.clone(), { filterable: unfiltered }));
    }
    return response;
  } catch (error) {
    const copy = await copyFor(request.url);
    return copy ? markedOffline(copy) : notSaved();
  }
}

/** The saved copy that answers `url` with no network: a pathway's unfiltered page, which
 * offline.js filters to this address; else a copy saved at this very address. */
async function copyFor(url) {
  const unfiltered = new URL(url);
  unfiltered.search = "";
  unfiltered.hash = "";
  const whole = await saved(new Request(unfiltered));
  if (whole?.headers.get(FILTERABLE)) return whole;
  const exact = new URL(url);
  exact.hash = "";
  return saved(new Request(exact));
}

async function markedOffline(copy) {
  const savedAt = copy.headers.get(SAVED_AT) || "";
  const html = (await copy.text()).replace("<html", `<html data-offline-copy="${savedAt}"`);
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function notSaved() {
  // Somewhere to go that works now, if there is one (nothing is saved for a signed-in person).
  const home = await saved(new Request(START_PAGES[0]));
  const next = home
    ? `<p>The home page and the pathways are saved: go to the <a href="${START_PAGES[0]}">home page</a>
to open one, or try this page again when you have a signal.</p>`
    : "<p>Nothing has been saved on this device yet: try again when you have a signal.</p>";
  const html = `<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>You are offline - Pathway Navigator</title>
${STYLESHEETS.map((href) => `<link rel="stylesheet" href="${href}">`).join("")}</head>
<body><div class="nhsuk-width-container"><main class="nhsuk-main-wrapper" id="maincontent">
<h1>You are offline</h1>
<p>This page has not been saved on this device. It needs a signal.</p>
${next}
</main></div></body></html>`;
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function staticFile(event) {
  const request = event.request;
  const cache = await caches.open(STATIC_CACHE);
  const copy = await cache.match(request, { ignoreVary: true });
  const fresh = fetch(request)
    .then(async (response) => {
      if (keepable(response)) await cache.put(request, response.clone());
      return response;
    })
    .catch(() => undefined);
  if (copy) {
    event.waitUntil(fresh);
    return copy;
  }
  return (await fresh) || Response.error();
}
