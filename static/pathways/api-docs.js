// Starts Swagger UI with settings from a data attribute: our CSP forbids an inline script.
const element = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  ...JSON.parse(element.dataset.swaggerSettings),
  domNode: element,
  presets: [window.SwaggerUIBundle.presets.apis],
});
