// Live progress on the jobs pages: while any job shown is queued or running, ask the
// server for the state of the jobs shown every two seconds and update them in place.
(function () {
  "use strict";
  const POLL_MILLISECONDS = 2000;
  const ACTIVE = ["queued", "running"];
  const container = document.querySelector("[data-status-url]");
  if (!container) return;
  const detail = container.dataset.detail === "1";

  function elementsOf(id) {
    return document.querySelectorAll(`[data-job-id="${id}"]`);
  }

  function activeIds() {
    const ids = new Set();
    document.querySelectorAll("[data-job-id]").forEach((element) => {
      if (ACTIVE.includes(element.dataset.status)) ids.add(element.dataset.jobId);
    });
    return [...ids];
  }

  function show(element, job) {
    const statusChanged = element.dataset.status !== job.status;
    element.dataset.status = job.status;
    const badge = element.querySelector(".job-status");
    if (badge) {
      badge.textContent = job.status_display;
      badge.className = `badge job-status ${job.status}`;
    }
    const bar = element.querySelector(".progress");
    if (bar) {
      bar.firstElementChild.style.width = `${job.percent ?? 0}%`;
      bar.classList.toggle("indeterminate", job.status === "running" && job.percent === null);
    }
    const count = element.querySelector(".job-count");
    if (count) count.textContent = job.total === null ? "" : `${job.done} / ${job.total}`;
    const step = element.querySelector(".job-step");
    if (step) step.textContent = ACTIVE.includes(job.status) ? job.step : job.error;
    const error = element.querySelector(".job-error");
    if (error) {
      error.textContent = job.error;
      error.hidden = !job.error;
    }
    const actions = { cancel: job.can_cancel, stop: job.can_stop, retry: job.can_retry };
    for (const [action, allowed] of Object.entries(actions)) {
      const form = element.querySelector(`form[data-action="${action}"]`);
      if (form) form.hidden = !allowed;
    }
    return statusChanged;
  }

  async function poll() {
    const ids = activeIds();
    if (!ids.length) return;
    const query = new URLSearchParams(ids.map((id) => ["id", id]));
    if (detail) query.set("detail", "1");
    try {
      const response = await fetch(`${container.dataset.statusUrl}?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const { jobs } = await response.json();
        let ended = false;
        for (const job of jobs) {
          elementsOf(job.id).forEach((element) => {
            if (show(element, job) && !ACTIVE.includes(job.status)) ended = true;
          });
          const log = detail && document.querySelector(".job-log");
          if (log && job.log_tail) log.textContent = job.log_tail;
        }
        // The detail page's summary is drawn by the server: fetch it once the job has ended.
        if (detail && ended) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A failed poll (server restarting, network blip) is simply tried again.
    }
    window.setTimeout(poll, POLL_MILLISECONDS);
  }

  window.setTimeout(poll, POLL_MILLISECONDS);
})();
