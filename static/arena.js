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
  // Further questions (judgement axes), asked one at a time after the first answer and
  // before the reveal; each can be skipped. Without this script they are radio rows.
  const question = document.getElementById("question");
  const skip = document.getElementById("vote-skip");
  const extra = Array.from(document.querySelectorAll("#extra-questions fieldset")).map((f) => ({
    axis: f.dataset.axis,
    question: f.dataset.question,
    label: f.dataset.label,
  }));
  if (extra.length) document.getElementById("extra-questions").hidden = true;
  let step = 0;
  let winner = null;
  const answers = {};
  // A battle of three or four images: keys 1–4 (or taps) pick the best, then the
  // worst, which can be skipped. Without this script the worst is a radio row.
  const kwise = form.classList.contains("kwise");
  const letters = ["a", "b", "c", "d"].slice(0, kwise ? Number(form.dataset.size) : 2);
  let best = null;
  if (kwise) document.getElementById("worst-question").hidden = true;
  let voting = false;
  // When the arena asks for a proof of work, solve it while the voter looks.
  const proof = arena.dataset.powChallenge
    ? solve(arena.dataset.powChallenge, Number(arena.dataset.powBits))
    : Promise.resolve(null);

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

  // One answer (or `null`: skipped) to the question on screen; the vote is sent once
  // every question has had one.
  function answer(value) {
    if (voting || voted()) return;
    if (step === 0) winner = value;
    else if (value !== null) answers[extra[step - 1].axis] = value;
    step += 1;
    if (step <= extra.length) {
      question.textContent = extra[step - 1].question;
      question.classList.add("further");
      skip.hidden = false;
      return;
    }
    const body = { winner: winner };
    if (extra.length) body.axes = answers;
    vote(body);
  }

  // One pick in a K-wise battle: the best first, then the worst (`null`: skipped).
  function choose(letter) {
    if (voting || voted()) return;
    if (best === null) {
      if (letter === null) return;
      best = letter;
      document.getElementById("side-" + letter).classList.add("picked");
      document.getElementById("best-" + letter).disabled = true;
      question.textContent = "And which image is worst? (optional)";
      question.classList.add("further");
      skip.hidden = false;
      return;
    }
    if (letter === best) return;
    const body = { best: best };
    if (letter !== null) body.worst = letter;
    vote(body);
  }

  async function vote(body) {
    if (voting || voted()) return;
    voting = true;
    form.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const nonce = await proof;
      if (nonce !== null) body.pow_nonce = nonce;
      const response = await fetch("/api/v1/battles/" + battleId + "/vote", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error ? answer.error.message : "The vote failed.");
      show(answer);
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
    letters.forEach((l) => {
      const name = result["model_" + l + "_name"];
      document.getElementById("name-" + l).textContent = name;
      document.getElementById("reveal-" + l).textContent = name;
    });
    if (kwise) {
      let said = result.best.toUpperCase() + " is best";
      if (result.worst) said += ", " + result.worst.toUpperCase() + " is worst";
      document.getElementById("reveal-winner").textContent = said;
      [[result.best, "best"], [result.worst, "worst"]].forEach(([l, kind]) => {
        if (!l) return;
        const side = document.getElementById("side-" + l);
        side.classList.remove("picked");
        side.classList.add(kind);
        const mark = document.createElement("span");
        mark.className = kind === "best" ? "mark" : "mark worst";
        mark.id = "mark-" + l;
        mark.textContent = kind;
        side.querySelector("figcaption").append(" ", mark);
      });
    } else {
      document.getElementById("reveal-winner").textContent = labels[result.winner] || result.winner;
    }
    if (extra.length) {
      const list = document.getElementById("reveal-axes");
      list.replaceChildren(...extra.map((q) => {
        const item = document.createElement("li");
        const strong = document.createElement("strong");
        const given = result.axes ? result.axes[q.axis] : undefined;
        strong.textContent = given ? labels[given] || given : "skipped";
        item.append(q.label + ": ", strong);
        return item;
      }));
    }
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
    if (!button || !button.value) return;
    if (kwise) choose(button.value);
    else answer(button.value);
  });
  if (skip) skip.addEventListener("click", () => (kwise ? choose(null) : answer(null)));

  const keys = { ArrowLeft: "a", ArrowRight: "b", ArrowUp: "tie", ArrowDown: "both_bad" };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    // Arrow keys and Enter in the prompt box edit and submit the prompt, not a vote.
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (voted()) {
      if (event.key === "Enter" || event.key === "n") { event.preventDefault(); window.location.href = next.href; }
      return;
    }
    if (pair.classList.contains("loading")) return;
    if (kwise) {
      const picked = letters[Number(event.key) - 1];
      if (picked) { event.preventDefault(); choose(picked); }
      else if ((event.key === "s" || event.key === "S") && best !== null) { event.preventDefault(); choose(null); }
      return;
    }
    const choice = keys[event.key];
    if (choice) { event.preventDefault(); answer(choice); }
    else if ((event.key === "s" || event.key === "S") && step > 0) { event.preventDefault(); answer(null); }
  });

  // The proof of work: the smallest decimal nonce such that SHA-256(challenge + nonce)
  // starts with `bits` zero bits. Solved in slices so that the page stays responsive.
  function solve(challenge, bits) {
    return new Promise((resolve) => {
      let nonce = 0;
      const slice = () => {
        for (let i = 0; i < 2000; i++, nonce++) {
          if (zeroBits(sha256(challenge + nonce)) >= bits) return resolve(String(nonce));
        }
        setTimeout(slice, 0);
      };
      // Not at once: this script has not finished defining the hash yet.
      setTimeout(slice, 0);
    });
  }

  function zeroBits(words) {
    let n = 0;
    for (const w of words) {
      if (w === 0) { n += 32; continue; }
      return n + Math.clz32(w);
    }
    return n;
  }

  // SHA-256 of an ASCII string, as eight 32-bit words (crypto.subtle is missing on
  // plain-HTTP pages, and this is fast enough for a few tens of thousands of tries).
  const K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ];
  function sha256(text) {
    const bytes = text.length;
    const blocks = ((bytes + 8) >> 6) + 1;
    const m = new Uint32Array(blocks * 16);
    for (let i = 0; i < bytes; i++) m[i >> 2] |= text.charCodeAt(i) << (24 - (i % 4) * 8);
    m[bytes >> 2] |= 0x80 << (24 - (bytes % 4) * 8);
    m[blocks * 16 - 1] = bytes * 8;
    const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    const w = new Uint32Array(64);
    const rotr = (x, n) => (x >>> n) | (x << (32 - n));
    for (let b = 0; b < blocks; b++) {
      for (let t = 0; t < 64; t++) {
        if (t < 16) w[t] = m[b * 16 + t];
        else {
          const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
          const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
          w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
        }
      }
      let [a, bb, c, d, e, f, g, hh] = h;
      for (let t = 0; t < 64; t++) {
        const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + bb) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h.map((x) => x >>> 0);
  }
})();
