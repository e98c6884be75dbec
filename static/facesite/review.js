/* Keyboard-first face review (templates/identities/review/queue.html).
 *
 * A reviewer never waits on the server: every decision goes into an outbox kept in
 * localStorage, and one request at a time sends the outbox in order, retrying with
 * back-off when the network or the server fails. The page says how many are unsaved,
 * and the outbox survives a closed tab: it is sent on the next visit.
 */
(function () {
  "use strict";

  const root = document.getElementById("review");
  if (!root) return;

  const REASONS = {1: "wrong_person", 2: "not_a_face", 3: "poor_quality", 4: "duplicate"};
  const REASON_LABELS = {
    wrong_person: "wrong person", not_a_face: "not a face", poor_quality: "poor quality", duplicate: "duplicate",
  };
  const SEND_LIMIT = 50;
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;
  const REQUEST_TIMEOUT_MS = 15000;
  const FAILURES = {
    offline: "offline",
    server: "server error",
    "logged-out": "logged out, log in again in another tab",
  };

  const mode = root.dataset.mode;
  const batchElement = document.getElementById("review-batch");
  const saveState = document.getElementById("review-save-state");
  const notice = document.getElementById("review-notice");
  const reasonPrompt = document.getElementById("review-reason-prompt");
  const help = document.getElementById("review-help");
  const sourceOverlay = document.getElementById("review-source");
  const csrfToken = root.querySelector("[name=csrfmiddlewaretoken]").value;
  const storageKey = `facesite-review-outbox:${root.dataset.user}:${mode}`;

  let outbox = outboxLoad(); // operations the server has not confirmed, oldest first
  let sendingCount = 0; // how many at the head of the outbox are in flight
  let retryDelay = FIRST_RETRY_MS;
  let retryTimer = null;
  let retryAt = 0;
  let lastFailure = "";
  let faces = []; // the crops on this page, as <figure> elements
  let cursor = 0;
  let decisions = new Map(); // face id -> {action, reason, final, message}
  let undoStack = []; // face ids decided on this page, the latest last
  let awaitingReason = false;
  let identityId = "";
  let lastFaceId = 0;
  let loading = false;

  function outboxLoad() {
    try {
      return JSON.parse(localStorage.getItem(storageKey)) || [];
    } catch (error) {
      return [];
    }
  }

  function outboxSave() {
    try {
      localStorage.setItem(storageKey, JSON.stringify(outbox));
    } catch (error) {
      // Storage can be full or switched off; the outbox then lives in memory only.
    }
  }

  function faceId(figure) {
    return Number(figure.dataset.faceId);
  }

  function isUnsaved(id) {
    return outbox.some((operation) => operation.face === id);
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  // Sending.

  async function send() {
    if (sendingCount || !outbox.length) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    const operations = outbox.slice(0, SEND_LIMIT);
    sendingCount = operations.length;
    renderSaveState();
    let response;
    try {
      response = await fetch(root.dataset.submitUrl, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken},
        body: JSON.stringify({operations}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      return sendFailed("offline");
    }
    // A lapsed session answers with a redirect to the login page.
    if (response.type === "opaqueredirect" || response.status === 403) return sendFailed("logged-out");
    if (response.status === 400) {
      // The server cannot use these however often they are sent, so they are dropped.
      const body = await response.json().catch(() => ({}));
      sendDone(operations, []);
      showNotice(`${operations.length} decisions were refused: ${body.error || "bad request"}`);
      return;
    }
    let body;
    try {
      body = response.ok ? await response.json() : null;
    } catch (error) {
      body = null;
    }
    if (!body || !Array.isArray(body.results)) return sendFailed("server");
    sendDone(operations, body.results);
  }

  function sendDone(operations, results) {
    sendingCount = 0;
    retryDelay = FIRST_RETRY_MS;
    lastFailure = "";
    outbox.splice(0, operations.length);
    outboxSave();
    results.forEach((result, index) => resultApply(operations[index], result));
    render();
    send();
  }

  function sendFailed(why) {
    sendingCount = 0;
    lastFailure = why;
    retryAt = Date.now() + retryDelay;
    retryTimer = setTimeout(send, retryDelay);
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
    renderSaveState();
  }

  function resultApply(operation, result) {
    if (result.saved) return;
    // Refused: decided meanwhile, an undo too late, or an override taken back. The
    // server's status is what the crop now shows; it cannot be decided again here.
    decisions.set(operation.face, {action: result.status, reason: "", final: true, message: result.message});
    showNotice(result.message);
  }

  function queue(operation) {
    outbox.push(operation);
    outboxSave();
    send();
  }

  // Decisions.

  function retract(id) {
    const index = outbox.findLastIndex((operation) => operation.face === id);
    if (index >= sendingCount && outbox[index].action !== "undo") {
      outbox.splice(index, 1);
      outboxSave();
    } else {
      queue({face: id, action: "undo", reason: ""});
    }
    decisions.delete(id);
  }

  function decide(figure, action, reason) {
    if (!figure) return;
    const id = faceId(figure);
    const current = decisions.get(id);
    if (current && current.final) {
      showNotice(current.message || `Face ${id} is already decided.`);
      return;
    }
    if (current) {
      if (current.action === action && current.reason === reason) return;
      if (mode === "override" && !isUnsaved(id)) {
        showNotice("An override is final; open the face's history to decide it again.");
        return;
      }
      retract(id);
    }
    decisions.set(id, {action, reason});
    undoStack = undoStack.filter((other) => other !== id);
    undoStack.push(id);
    queue({face: id, action, reason});
  }

  function cursorToNextUndecided() {
    for (let step = 1; step <= faces.length; step++) {
      const index = (cursor + step) % faces.length;
      if (!decisions.has(faceId(faces[index]))) {
        cursor = index;
        return;
      }
    }
  }

  function approve() {
    decide(faces[cursor], "approved", "");
    cursorToNextUndecided();
    render();
  }

  function reject(reason) {
    decide(faces[cursor], "rejected", reason);
    cursorToNextUndecided();
    render();
  }

  function approveRest() {
    faces.filter((figure) => !decisions.has(faceId(figure))).forEach((figure) => decide(figure, "approved", ""));
    render();
  }

  function undo() {
    const id = undoStack[undoStack.length - 1];
    if (id === undefined) {
      showNotice("Nothing to undo on this page.");
      return;
    }
    if (mode === "override" && !isUnsaved(id)) {
      showNotice("An override is final; open the face's history to decide it again.");
      return;
    }
    undoStack.pop();
    const decision = decisions.get(id);
    if (decision && decision.final) {
      showNotice(decision.message || `Face ${id} is already decided.`);
    } else {
      if (decision) retract(id);
      showNotice("");
    }
    cursor = Math.max(0, faces.findIndex((figure) => faceId(figure) === id));
    render();
  }

  function submitPage() {
    const undecided = faces.filter((figure) => !decisions.has(faceId(figure)));
    if (undecided.length) {
      cursor = faces.indexOf(undecided[0]);
      render();
      showNotice(
        `${undecided.length === 1 ? "1 crop still needs" : `${undecided.length} crops still need`} a decision: ` +
          "A approves one, Shift+A approves the rest.",
      );
      return;
    }
    batchLoad(true);
  }

  // Batches.

  // Opening the page shows the crops the reviewer already holds (a GET changes nothing);
  // only "next batch" leases new ones, by POST. An admin's identity review leases nothing.
  async function batchLoad(claim) {
    if (loading) return;
    loading = true;
    const method = claim && mode === "vote" ? "POST" : "GET";
    const parameters = new URLSearchParams(root.dataset.filters);
    if (identityId) parameters.set("prefer", identityId);
    if (lastFaceId) parameters.set("after", lastFaceId);
    const unsavedIds = [...new Set(outbox.map((operation) => operation.face))];
    if (unsavedIds.length) parameters.set("exclude", unsavedIds.join(","));
    let html = null;
    try {
      const response = await fetch(`${root.dataset.batchUrl}?${parameters}`, {
        method,
        headers: {"X-CSRFToken": csrfToken},
        credentials: "same-origin",
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (response.ok) html = await response.text();
    } catch (error) {
      html = null;
    }
    loading = false;
    if (html === null) {
      showNotice("The next batch did not load; your decisions are kept. Press Enter to try again.");
      return;
    }
    batchElement.innerHTML = html;
    faces = [...batchElement.querySelectorAll(".review-face")];
    const heading = batchElement.querySelector("[data-identity-id]");
    identityId = heading ? heading.dataset.identityId : "";
    if (faces.length) lastFaceId = faceId(faces[faces.length - 1]);
    decisions = new Map();
    undoStack = [];
    cursor = 0;
    awaitingReason = false;
    showNotice("");
    render();
  }

  // Drawing.

  function renderSaveState() {
    const count = outbox.length;
    let text = "All decisions saved";
    let state = "saved";
    if (count && retryTimer) {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      text = `${count} unsaved · ${FAILURES[lastFailure]} · retry in ${seconds} s`;
      state = "unsaved";
    } else if (count) {
      text = `Saving ${count}…`;
      state = "saving";
    }
    saveState.textContent = text;
    saveState.className = `save-state ${state}`;
    saveState.dataset.unsaved = count;
  }

  function markText(decision) {
    if (!decision) return "";
    const label = decision.action === "approved" ? "✓ approved" : decision.action === "rejected" ? "✗ rejected" : "";
    if (decision.final) return `${label || "gone"} · final`;
    return decision.action === "rejected" ? `✗ ${REASON_LABELS[decision.reason]}` : label;
  }

  function render() {
    faces.forEach((figure, index) => {
      const id = faceId(figure);
      const decision = decisions.get(id);
      figure.classList.toggle("current", index === cursor);
      figure.setAttribute("aria-selected", String(index === cursor));
      figure.dataset.decision = decision ? decision.action : "";
      figure.classList.toggle("unsaved", isUnsaved(id));
      figure.classList.toggle("final", Boolean(decision && decision.final));
      figure.title = decision && decision.message ? decision.message : "";
      figure.querySelector(".review-mark").textContent = markText(decision);
    });
    reasonPrompt.hidden = !awaitingReason;
    if (faces[cursor]) faces[cursor].scrollIntoView({block: "nearest"});
    renderSaveState();
  }

  function columnCount() {
    const top = faces.length ? faces[0].offsetTop : 0;
    return Math.max(1, faces.filter((figure) => figure.offsetTop === top).length);
  }

  function cursorMove(step) {
    if (!faces.length) return;
    cursor = Math.min(faces.length - 1, Math.max(0, cursor + step));
    render();
  }

  function sourceShow() {
    const figure = faces[cursor];
    if (!figure) return;
    const [left, top, width, height] = figure.dataset.box.split(",").map(Number);
    const [sourceWidth, sourceHeight] = figure.dataset.sourceSize.split(",").map(Number);
    const box = sourceOverlay.querySelector(".review-source-box");
    sourceOverlay.querySelector("img").src = figure.dataset.sourceUrl;
    box.hidden = !(sourceWidth && sourceHeight);
    if (!box.hidden) {
      box.style.left = `${(100 * left) / sourceWidth}%`;
      box.style.top = `${(100 * top) / sourceHeight}%`;
      box.style.width = `${(100 * width) / sourceWidth}%`;
      box.style.height = `${(100 * height) / sourceHeight}%`;
    }
    sourceOverlay.hidden = false;
  }

  function overlaysClose() {
    help.hidden = true;
    sourceOverlay.hidden = true;
  }

  // Input.

  const ACTIONS = {
    approve,
    reject: (button) => reject(button.dataset.reason),
    undo,
    source: sourceShow,
    "approve-rest": approveRest,
    next: submitPage,
    help: () => {
      sourceOverlay.hidden = true;
      help.hidden = !help.hidden;
    },
  };

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) {
      // Keys go back to the page, so Enter means "next batch" and not this button again.
      button.blur();
      ACTIONS[button.dataset.action](button);
      return;
    }
    const figure = event.target.closest(".review-face");
    if (figure) {
      cursor = faces.indexOf(figure);
      render();
    } else if (event.target.classList.contains("review-overlay")) {
      overlaysClose();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea")) return;
    // Enter on a focused button or link is that control's own click.
    if (event.key === "Enter" && event.target.closest("button, a")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === "Escape") {
      overlaysClose();
      awaitingReason = false;
      render();
      return;
    }
    if (key === "?") {
      ACTIONS.help();
      event.preventDefault();
      return;
    }
    if (!help.hidden) return;
    if (!sourceOverlay.hidden) {
      if (key === "s") sourceOverlay.hidden = true;
      return;
    }
    if (awaitingReason) {
      awaitingReason = false;
      if (REASONS[key]) reject(REASONS[key]);
      else render();
      event.preventDefault();
      return;
    }
    const handlers = {
      ArrowLeft: () => cursorMove(-1),
      ArrowRight: () => cursorMove(1),
      ArrowUp: () => cursorMove(-columnCount()),
      ArrowDown: () => cursorMove(columnCount()),
      a: event.shiftKey ? approveRest : approve,
      r: () => {
        if (!faces[cursor]) return;
        awaitingReason = true;
        render();
      },
      u: undo,
      s: sourceShow,
      Enter: submitPage,
    };
    if (handlers[key]) {
      event.preventDefault();
      handlers[key]();
    }
  });

  window.addEventListener("online", () => {
    if (retryTimer) send();
  });
  window.addEventListener("beforeunload", (event) => {
    // The outbox is kept in this browser anyway; the prompt says it has not reached the server.
    if (outbox.length) event.preventDefault();
  });
  setInterval(() => {
    if (retryTimer) renderSaveState();
  }, 1000);

  send();
  batchLoad(false);
})();
