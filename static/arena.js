// Keyboard voting and an in-place reveal for the battle page. Without this script the
// page still works: the vote buttons post a plain form.
(function () {
  "use strict";
  const arena = document.getElementById("arena");
  if (!arena) return;
  const battleId = arena.dataset.battle;
  const pair = document.getElementById("pair");
  const form = document.getElementById("vote-form");
  const error = document.getElementById("vote-error");
  const reveal = document.getElementById("reveal");
  const next = document.getElementById("next");
  const labels = { a: "A is better", b: "B is better", tie: "A tie", both_bad: "Both are bad" };
  let voting = false;

  // Blindness: show both images together, never one before the other.
  const images = Array.from(pair.querySelectorAll("img"));
  if (!images.every((img) => img.complete)) {
    pair.classList.add("loading");
    let waiting = images.length;
    const done = () => { if (--waiting === 0) pair.classList.remove("loading"); };
    images.forEach((img) => {
      if (img.complete) done();
      else { img.addEventListener("load", done); img.addEventListener("error", done); }
    });
  }

  function voted() { return arena.dataset.status === "voted"; }

  async function vote(winner) {
    if (voting || voted()) return;
    voting = true;
    form.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const response = await fetch("/api/v1/battles/" + battleId + "/vote", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ winner: winner }),
        credentials: "same-origin",
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error ? body.error.message : "The vote failed.");
      show(body);
    } catch (e) {
      error.textContent = e.message + " ";
      error.hidden = false;
      form.querySelectorAll("button").forEach((b) => (b.disabled = false));
    } finally {
      voting = false;
    }
  }

  function show(result) {
    arena.dataset.status = "voted";
    document.getElementById("name-a").textContent = result.model_a_name;
    document.getElementById("name-b").textContent = result.model_b_name;
    document.getElementById("reveal-a").textContent = result.model_a_name;
    document.getElementById("reveal-b").textContent = result.model_b_name;
    document.getElementById("reveal-winner").textContent = labels[result.winner] || result.winner;
    if (result.winner === "a") document.getElementById("side-a").classList.add("winner");
    if (result.winner === "b") document.getElementById("side-b").classList.add("winner");
    form.hidden = true;
    error.hidden = true;
    reveal.hidden = false;
    next.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter;
    if (button && button.value) vote(button.value);
  });

  const keys = { ArrowLeft: "a", ArrowRight: "b", ArrowUp: "tie", ArrowDown: "both_bad" };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    // Arrow keys and Enter in the prompt box edit and submit the prompt, not a vote.
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (voted()) {
      if (event.key === "Enter" || event.key === "n") { event.preventDefault(); window.location.href = next.href; }
      return;
    }
    const winner = keys[event.key];
    if (winner && !pair.classList.contains("loading")) { event.preventDefault(); vote(winner); }
  });
})();
