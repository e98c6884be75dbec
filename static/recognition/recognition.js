// Upload page: drop a photo on the form. Result page: identity names as you type.
(function () {
  "use strict";
  const zone = document.querySelector("[data-dropzone]");
  if (zone) {
    const input = zone.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("dragging")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
      }
    });
  }

  const script = document.currentScript;
  const url = script && script.dataset.identitiesUrl;
  const names = document.getElementById("identity-names");
  if (!url || !names) {
    return;
  }
  let timer = null;
  document.querySelectorAll("[data-identity-search]").forEach((field) => {
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const response = await fetch(`${url}?per_page=20&q=${encodeURIComponent(field.value)}`, {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) {
          return;
        }
        const page = await response.json();
        names.replaceChildren(...page.results.map((identity) => new Option(identity.name)));
      }, 200);
    });
  });
})();
