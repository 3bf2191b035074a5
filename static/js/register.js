/* Register forms of the back office: submit once, search pickers, the error summary. */
(function () {
  "use strict";

  // A form marked data-submit-once sends once: its buttons are disabled after the first
  // submit (the server refuses a duplicate anyway; this spares the clerk the message).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-submit-once]")) return;
    if (form.dataset.submitted) {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    form.setAttribute("aria-busy", "true");
    // Disable after the browser has read the pressed button's name and value.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  // Coming back with the browser's Back button shows the form usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.submitted;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });

  // Enter in a picker's search box searches; it does not submit the form around it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-picker-search]")) {
      event.preventDefault();
    }
  });

  // After a refused submit, the summary of what to correct takes the focus.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
