// Starts Swagger UI on the documents the page lists (a file of its own: the page's
// Content-Security-Policy allows no inline script).
(function () {
  var root = document.getElementById("swagger-ui");
  var documents = JSON.parse(root.getAttribute("data-documents"));
  var urls = Object.keys(documents).map(function (name) {
    return { name: name, url: documents[name] };
  });
  window.ui = SwaggerUIBundle({
    urls: urls,
    "urls.primaryName": urls.length ? urls[0].name : undefined,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    validatorUrl: null
  });
})();
