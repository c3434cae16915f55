// Pathway Navigator's progressive enhancement; every page works without it.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.used.min.js";
import { addressed, focusAnswer, query, setForm } from "./offline.js";

// NHS.UK frontend starts only on a body marked as supported: a browser running this module
// is, and our Content Security Policy forbids the inline script NHS.UK's template uses.
document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

const form = document.getElementById("filters");

// htmx reloads the page on Back and Forward (htmx-config), but only once started: a Back while
// a page loads keeps the old results. So reload once if the address moved before this ran, and
// handle Back until htmx starts; not on a saved copy (offline.js filters it to its address).
if (form?.dataset.renderedFor && document.documentElement.dataset.offlineCopy === undefined) {
  const RELOADED_FOR = "pathways:reloaded-for";
  const renderedFor = new URL(form.dataset.renderedFor, window.location.href);
  try {
    const moved = query(renderedFor.searchParams) !== query(addressed());
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
form?.addEventListener("submit", () => (form.dataset.focusResults = "yes"));
document.addEventListener("htmx:afterSettle", () => form && focusAnswer());

// "Copy link to these results" is a plain link; with JavaScript a click copies it and says so.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("[data-copy-link]");
  if (!link || !navigator.clipboard) return;
  event.preventDefault();
  const status = link.parentElement.querySelector(".share-link__status");
  const copied = await navigator.clipboard.writeText(link.href).then(() => true, () => false);
  status.textContent = status.dataset[copied ? "copied" : "failed"];
});

// The last area opened stays in this browser alone (no cookie), offered back on the home page.
try {
  const KEPT = "pathways:area";
  if (document.body.dataset.area) localStorage.setItem(KEPT, document.body.dataset.area);
  document.getElementById(`area-offer-${localStorage.getItem(KEPT)}`)?.removeAttribute("hidden");
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-area-forget]")) localStorage.removeItem(KEPT);
  });
} catch {}
