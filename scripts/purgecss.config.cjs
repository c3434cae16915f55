// PurgeCSS settings for scripts/build-stylesheet.sh: keep only the NHS.UK frontend rules
// whose classes, elements and attributes our own markup names. Paths are from the repo root.
module.exports = {
  content: [
    "templates/**/*.html",
    "templates/**/*.js",
    // Markup built in Python (format_html, the timeline's SVG) and classes our scripts add.
    "pathways/**/*.py",
    "static/pathways/*.js",
  ],
  css: ["static/vendor/nhsuk-frontend/nhsuk-frontend.min.css"],
  safelist: {
    standard: [
      // Set on <body> by site.js (also in its text; named here so a rewrite cannot lose them).
      "js-enabled",
      "nhsuk-frontend-supported",
      // Added at run time by NHS.UK's script to the components our pages use: the skip
      // link's target, and a checkbox's conditional content while it is closed.
      "nhsuk-skip-link-focused-element",
      "nhsuk-checkboxes__conditional--hidden",
      // htmx's own classes, should a rule ever name them.
      /^htmx-/,
    ],
  },
};
