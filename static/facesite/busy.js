// Slow actions show that they are under way: a form or link marked data-busy disables
// its button on submit (or the link on click) and says "Working…" until the next page
// arrives, so nobody clicks again wondering whether anything happened.
(function () {
  "use strict";
  const WORKING = "Working…";

  function busy(control) {
    control.dataset.idleText = control.textContent;
    control.textContent = WORKING;
    control.classList.add("busy");
    control.setAttribute("aria-busy", "true");
    if (control.tagName === "BUTTON") control.disabled = true;
    else control.setAttribute("aria-disabled", "true");
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-busy]")) return;
    // A second submit while the first is under way would only start the work again.
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (button) busy(button);
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-busy]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    if (link.classList.contains("busy")) {
      event.preventDefault();
      return;
    }
    busy(link);
  });

  // Coming back with the Back button shows the page as it was left: make it usable again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    document.querySelectorAll(".busy[aria-busy]").forEach((control) => {
      control.textContent = control.dataset.idleText;
      control.classList.remove("busy");
      control.removeAttribute("aria-busy");
      control.removeAttribute("aria-disabled");
      control.disabled = false;
    });
    document.querySelectorAll("form[data-submitting]").forEach((form) => delete form.dataset.submitting);
  });
})();
