// The progress page of a background upload: poll its JSON status, update the counts, and
// reload once the import has finished, so the server renders each file's outcome.
// A static file, not an inline script: it runs under a strict Content-Security-Policy.
"use strict";
(function () {
  const panel = document.getElementById("upload-progress");
  if (!panel || !panel.dataset.statusUrl) {
    return;
  }
  const pollMs = Number(panel.dataset.pollMs) || 1000;

  function setText(id, value) {
    const node = document.getElementById(id);
    if (node) {
      node.textContent = String(value);
    }
  }

  function render(status) {
    panel.dataset.state = status.state;
    setText("upload-state", status.state_label);
    setText("upload-processed", status.processed);
    setText("upload-expected", status.expected);
    const bar = document.getElementById("upload-progress-bar");
    if (bar) {
      bar.max = Math.max(status.expected, 1);
      bar.value = status.processed;
    }
    for (const [name, count] of Object.entries(status.counts)) {
      const cell = panel.querySelector(`[data-count="${name}"]`);
      if (cell) {
        cell.textContent = String(count);
      }
    }
  }

  async function poll() {
    try {
      const response = await fetch(panel.dataset.statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const status = await response.json();
        render(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped connection: try again at the next tick.
    }
    window.setTimeout(poll, pollMs);
  }

  window.setTimeout(poll, pollMs);
})();
