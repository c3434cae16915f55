// Pathway Navigator's progressive enhancement; every page works without it.
// NHS.UK frontend only starts its components on a body marked as supported; a browser that
// runs this module supports them, and our Content Security Policy forbids the inline script
// the NHS.UK template would use for this.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
