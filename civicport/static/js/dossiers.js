// Citizen dossier pages. Everything works without this file; with it (and htmx), the ward
// search boxes appear next to the ward selects and narrow them as the applicant types.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) { return; }
  document.querySelectorAll("[data-ward-search]").forEach(function (box) {
    box.hidden = false;
    // Enter in the search box narrows the list; it must not submit the dossier form.
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  });
});
