// Pathway Navigator's progressive enhancement; every page works without it.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.used.min.js";
import { focusAnswer, setForm } from "./offline.js";

// NHS.UK frontend starts only on a body marked as supported: a browser running this module
// is, and our Content Security Policy forbids the inline script NHS.UK's template uses.
document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

const form = document.getElementById("filters");

// Back and Forward between addresses htmx pushed reload the page (htmx-config), but htmx
// listens only once started: a Back while a page loads leaves the old results. So if the
// address moved before this ran, reload (once per address), and handle Back until htmx
// starts. Not for a saved copy: offline.js filters it to its address.
function addressOf(pathAndQuery) {
  const url = new URL(pathAndQuery, window.location.href);
  return `${url.pathname}?${new URLSearchParams(url.search)}`;
}

if (form?.dataset.renderedFor && document.documentElement.dataset.offlineCopy === undefined) {
  const RELOADED_FOR = "pathways:reloaded-for";
  try {
    const moved = addressOf(form.dataset.renderedFor) !== addressOf(window.location.href);
    if (moved && sessionStorage.getItem(RELOADED_FOR) !== window.location.href) {
      sessionStorage.setItem(RELOADED_FOR, window.location.href);
      window.location.reload();
    } else {
      sessionStorage.removeItem(RELOADED_FOR);
    }
  } catch {
    // No storage, no guard against a loop: keep the page as it is.
  }
  const untilHtmxStarts = new AbortController();
  const reloadForHtmxState = (event) => event.state?.htmx && window.location.reload();
  window.addEventListener("popstate", reloadForHtmxState, { signal: untilHtmxStarts.signal });
  document.addEventListener("DOMContentLoaded", () => untilHtmxStarts.abort(), { once: true });
}

// "Remove filter" and "Clear filters" are plain links; with JavaScript they set the form to
// their address instead, so the form and the results never disagree, and htmx fetches them.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".active-filters__remove, [data-filters-clear]");
  if (!form || !window.htmx || !link) return;
  event.preventDefault();
  setForm(new URL(link.href).searchParams);
  form.requestSubmit();
  // Not a submit of the reader's own: focus stays in the results (below), not on the count.
  delete form.dataset.focusResults;
});

// A submit of the reader's own (Enter or the button): focus goes to what answers it.
form?.addEventListener("submit", () => {
  form.dataset.focusResults = "yes";
});
document.addEventListener("htmx:afterSettle", () => form && focusAnswer());

// "Copy link to these results" is a plain link; with JavaScript a click copies it and says so.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("[data-copy-link]");
  if (!link || !navigator.clipboard) return;
  event.preventDefault();
  const status = link.parentElement.querySelector(".share-link__status");
  try {
    await navigator.clipboard.writeText(link.href);
    if (status) status.textContent = "Link copied";
  } catch {
    if (status) status.textContent = "Could not copy: press and hold the link to copy it";
  }
});
