// The NHS.UK frontend components our pages use (their data-module attributes), bundled by
// scripts/vendor-nhsuk-frontend.sh into nhsuk-frontend.used.min.js, which site.js imports.
// A template that starts using another component adds it here and re-vendors;
// tests/operations/test_nhsuk_frontend.py fails until then. Paths are the npm package's.
import {
  Checkboxes,
  createAll,
  ErrorSummary,
  Header,
  NotificationBanner,
  SkipLink,
} from "./package/dist/nhsuk/index.mjs";

// NHS.UK's initAll, for these components only: each found on the page is started.
export function initAll() {
  for (const Component of [Checkboxes, ErrorSummary, Header, NotificationBanner, SkipLink]) {
    createAll(Component);
  }
}
