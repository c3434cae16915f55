// Starts Swagger UI on the API docs page. Its settings come from a data attribute, not an
// inline script, so the page runs under our Content Security Policy.
const element = document.getElementById("swagger-ui");
const settings = JSON.parse(element.dataset.swaggerSettings);
window.SwaggerUIBundle({
  ...settings,
  domNode: element,
  presets: [window.SwaggerUIBundle.presets.apis],
});
