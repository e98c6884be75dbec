// The identity picker: a name field (input[data-identity-picker]) that searches names and
// aliases as you type. Arrow keys move through the answers, Enter or a click picks one,
// Escape closes the list. Without this script the field is a plain name field.
//
// A field searches the script's data-search-url (the admins' search), or its own
// data-identity-picker-url (the review filter's, open to reviewers); a field with neither
// stays a plain name field.
(function () {
  "use strict";
  const script = document.currentScript;
  const defaultUrl = script && script.dataset.searchUrl;
  let pickers = 0;

  function upgrade(field, url) {
    const number = ++pickers;
    const list = document.createElement("ul");
    list.id = `identity-picker-${number}`;
    list.className = "identity-picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    field.insertAdjacentElement("afterend", list);
    field.setAttribute("role", "combobox");
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-expanded", "false");
    field.setAttribute("aria-controls", list.id);
    field.parentElement.classList.add("identity-picker");
    let active = -1;
    let asked = 0;
    let timer = null;

    function options() {
      return Array.from(list.children);
    }

    function close() {
      list.hidden = true;
      active = -1;
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      const all = options();
      active = all.length ? (index + all.length) % all.length : -1;
      all.forEach((option, position) => option.setAttribute("aria-selected", String(position === active)));
      if (active >= 0) {
        field.setAttribute("aria-activedescendant", all[active].id);
        all[active].scrollIntoView({ block: "nearest" });
      }
    }

    // With data-identity-picker-collect, picks pile up as ticked boxes in the form's
    // [data-picked] list (unticking one drops it) and the field is emptied for the next.
    const collect = field.dataset.identityPickerCollect;
    const picked = collect && field.form && field.form.querySelector(`[data-picked="${collect}"]`);

    function collected(option) {
      const existing = Array.from(picked.querySelectorAll("input[type=checkbox]"))
        .find((box) => box.value === option.dataset.id);
      if (existing) {
        existing.checked = true;
        return;
      }
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = collect;
      box.value = option.dataset.id;
      box.checked = true;
      const label = document.createElement("label");
      label.append(box, ` ${option.dataset.name}`);
      const item = document.createElement("li");
      item.append(label);
      picked.append(item);
    }

    function pick(option) {
      if (picked) {
        collected(option);
        field.value = "";
      } else {
        field.value = option.dataset.name;
      }
      close();
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(results) {
      list.replaceChildren(...results.map((identity, position) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${position}`;
        option.setAttribute("role", "option");
        option.dataset.name = identity.name;
        option.dataset.id = String(identity.id);
        option.textContent = identity.name;
        const notes = [];
        if (identity.alias) {
          notes.push(`also ${identity.alias}`);
        }
        if (identity.archived) {
          notes.push("archived");
        }
        // The admins' search counts approved faces, the review filter's pending ones.
        if (identity.approved_faces !== undefined) {
          notes.push(`${identity.approved_faces} approved`);
        }
        if (identity.pending_faces !== undefined) {
          notes.push(`${identity.pending_faces} pending`);
        }
        const note = document.createElement("span");
        note.className = "muted small";
        note.textContent = ` ${notes.join(" · ")}`;
        option.append(note);
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(option);
        });
        return option;
      }));
      list.hidden = !results.length;
      field.setAttribute("aria-expanded", String(!list.hidden));
      active = -1;
      field.removeAttribute("aria-activedescendant");
    }

    async function search() {
      const text = field.value.trim();
      const ask = ++asked;
      if (!text) {
        close();
        return;
      }
      const archived = field.hasAttribute("data-identity-picker-archived") ? "&archived=1" : "";
      const response = await fetch(`${url}?limit=10&q=${encodeURIComponent(text)}${archived}`, {
        headers: { Accept: "application/json" },
      });
      // A slower answer to an earlier text must not replace the latest one.
      if (!response.ok || ask !== asked) {
        return;
      }
      show((await response.json()).results);
    }

    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) {
          search();
          return;
        }
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        pick(options()[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    field.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-identity-picker]").forEach((field) => {
    const url = field.dataset.identityPickerUrl || defaultUrl;
    if (url) {
      upgrade(field, url);
    }
  });
})();
