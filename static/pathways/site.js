// Pathway Navigator's progressive enhancement; every page works without it.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";
import "./offline.js";

// NHS.UK frontend only starts its components on a body marked as supported; a browser that
// runs this module supports them, and our Content Security Policy forbids the inline script
// the NHS.UK page template would use for this.
document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

const form = document.getElementById("filters");

// Back and Forward between the addresses htmx pushed reload the page (htmx-config:
// refreshOnHistoryMiss), so the form and results are always the server's for the address.
// But htmx only listens once the page has started: a Back pressed while a page is still
// loading (twice in quick succession, say) changed the address and left the results of the
// old one. So: if the address already moved before this script ran, reload now, and
// listen for Back ourselves until htmx does. Not for a copy the service worker answered
// offline: offline.js filters that copy to its address, and reloading would only fetch the
// same copy again.
function addressOf(pathAndQuery) {
  const url = new URL(pathAndQuery, window.location.href);
  return `${url.pathname}?${new URLSearchParams(url.search)}`;
}

// One reload per address: if the server's page still does not match, show it as it is.
const RELOADED_FOR = "pathways:reloaded-for";

function reloadUnlessJustDone() {
  try {
    if (sessionStorage.getItem(RELOADED_FOR) === window.location.href) {
      sessionStorage.removeItem(RELOADED_FOR);
      return;
    }
    sessionStorage.setItem(RELOADED_FOR, window.location.href);
  } catch {
    return; // no storage, no guard against a loop: keep the page as it is
  }
  window.location.reload();
}

if (form?.dataset.renderedFor && document.documentElement.dataset.offlineCopy === undefined) {
  if (addressOf(form.dataset.renderedFor) !== addressOf(window.location.href)) {
    reloadUnlessJustDone();
  } else {
    try {
      sessionStorage.removeItem(RELOADED_FOR);
    } catch {
      // nothing was stored
    }
  }
  // Until htmx starts (at DOMContentLoaded), do what it will do; then leave it to htmx,
  // so a Back is never handled twice.
  const reloadForHtmxState = (event) => {
    if (event.state?.htmx) window.location.reload();
  };
  window.addEventListener("popstate", reloadForHtmxState);
  document.addEventListener(
    "DOMContentLoaded",
    () => window.removeEventListener("popstate", reloadForHtmxState),
    { once: true },
  );
}

// "Remove filter" and "Clear filters" are plain links that work without JavaScript. With it,
// they change the form instead, so the form and the results never disagree, and htmx
// fetches the results as for any other change.
document.addEventListener("click", (event) => {
  if (!form || !window.htmx) return;
  const removal = event.target.closest("[data-filter-parameter]");
  const clear = event.target.closest("[data-filters-clear]");
  if (!removal && !clear) return;
  event.preventDefault();
  for (const input of form.elements) {
    if (!input.name) continue;
    const chosen = clear || input.name === removal.dataset.filterParameter;
    if (!chosen) continue;
    if (input.type === "checkbox") {
      if (clear || input.value === removal.dataset.filterValue) input.checked = false;
    } else if (input.type === "text" || input.type === "search") {
      input.value = "";
    }
  }
  form.requestSubmit();
  // Not a submit of the reader's own: focus stays in the results (below), not on the count.
  delete form.dataset.focusResults;
});

// After a submit (Enter or the button), focus goes to what answers it: the error summary
// the server sent, or the result count; focusing scrolls it into view. Without JavaScript
// the page does the same with autofocus. A ticked box keeps its focus.
form?.addEventListener("submit", () => {
  form.dataset.focusResults = "yes";
});

export function focusAnswer() {
  delete form?.dataset.focusResults;
  const answer =
    document.querySelector("#error-summary-slot .nhsuk-error-summary") ||
    document.getElementById("result-count");
  answer?.focus();
}

// When the control that had focus was replaced by the update (a removed filter, say), keep
// keyboard and screen-reader users in the results rather than dropping them at the top.
document.addEventListener("htmx:afterSettle", () => {
  if (form?.dataset.focusResults) {
    focusAnswer();
  } else if (!document.activeElement || document.activeElement === document.body) {
    document.getElementById("results-panel")?.focus();
  }
});

// "Copy link to these results" is a plain link to the current results without JavaScript;
// with it, a click copies that address and says so.
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
