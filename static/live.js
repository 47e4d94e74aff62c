// The waiting page of a live battle: follows progress by server-sent events (falling
// back to polling) and, once both images exist, loads the battle page, which shows
// them together. Without this script the page reloads itself (<noscript> refresh).
(function () {
  "use strict";
  const live = document.getElementById("live");
  if (!live || live.dataset.status !== "generating") return;
  const id = live.dataset.battle;
  const bar = document.getElementById("live-bar");
  const message = document.getElementById("live-message");
  let finished = false;

  function update(battle) {
    if (finished) return;
    if (battle.status === "ready" || battle.status === "voted" || battle.status === "failed") {
      finished = true;
      window.location.replace("/battles/" + id);
      return;
    }
    if (battle.live) {
      bar.value = Math.round(battle.live.progress * 100);
      bar.textContent = bar.value + "%";
      message.textContent = battle.live.message;
    }
  }

  async function poll() {
    while (!finished) {
      try {
        const response = await fetch("/api/v1/battles/" + id, { credentials: "same-origin" });
        if (response.ok) update(await response.json());
      } catch (e) {
        // The server may be restarting: keep trying.
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  if (!window.EventSource) { poll(); return; }
  const events = new EventSource("/api/v1/battles/" + id + "/events");
  const handle = (event) => update(JSON.parse(event.data));
  events.addEventListener("progress", handle);
  events.addEventListener("ready", (event) => { events.close(); handle(event); });
  events.addEventListener("failed", (event) => { events.close(); handle(event); });
  events.addEventListener("error", () => { events.close(); if (!finished) poll(); });
})();
