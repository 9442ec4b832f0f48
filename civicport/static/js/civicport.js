// Send the CSRF token with every htmx request (no inline script: the CSP forbids it).
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrfToken;
  if (token) { event.detail.headers["X-CSRFToken"] = token; }
});
