// cowork: small progressive enhancements. Every page works without this file.

/** Propose the browser's time zone on the profile page when the saved one is unconfirmed. */
function proposeBrowserZone() {
  const input = document.querySelector('input[data-propose-browser-zone="yes"]');
  if (!input) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return;
  }
  if (!zone || zone === input.value) return;
  input.value = zone;
  const note = document.getElementById("tz-proposed");
  if (note) {
    note.textContent = `Proposed from your browser: ${zone}. Save to keep it.`;
    note.hidden = false;
  }
  // Browsers still report legacy names (Chromium says Asia/Calcutta): propose the current one.
  fetch(`/api/v1/zones?q=${encodeURIComponent(zone)}`)
    .then((r) => (r.ok ? r.json() : null))
    .then((found) => {
      const current = found && found.certain && found.matches[0] ? found.matches[0].name : "";
      if (!current || current === zone || input.value !== zone) return;
      input.value = current;
      if (note) note.textContent = `Proposed from your browser: ${current} (your browser calls it ${zone}). Save to keep it.`;
    })
    .catch(() => {});
}

/**
 * Zone fields suggest zones as people type — a city, a country, an
 * abbreviation, an offset — from the server's search: a combobox with a
 * listbox, as in the ARIA Authoring Practices. Without this file the field
 * takes the same free text and the form offers the matches.
 */
function zoneCombobox() {
  for (const input of document.querySelectorAll("input[data-zone-search]")) {
    const id = `${input.id}-options`;
    const list = document.createElement("ul");
    list.id = id;
    list.className = "zone-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Zone suggestions");
    list.hidden = true;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    const wrap = document.createElement("div");
    wrap.className = "combo";
    input.before(wrap);
    wrap.append(input, list);
    wrap.after(status);
    input.removeAttribute("list");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    const field = input.closest(".field");
    const picks = field ? [...field.querySelectorAll('input[name="zone_pick"]')] : [];
    let options = [];
    let active = -1;
    let asked = 0;
    let timer = 0;

    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const highlight = (i) => {
      active = i;
      options.forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
      input.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({ block: "nearest" });
    };
    const choose = (li) => {
      input.value = li.dataset.name;
      for (const p of picks) p.checked = p.value === li.dataset.name;
      close();
      status.textContent = `${li.dataset.name} chosen.`;
    };
    const show = (found) => {
      options = found.matches.map((m, i) => {
        const li = document.createElement("li");
        li.id = `${id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.name = m.name;
        const place = document.createElement("strong");
        place.textContent = m.place;
        const detail = document.createElement("span");
        detail.className = "hint";
        detail.textContent = `${m.name} · ${m.now}`;
        li.append(place, " ", detail);
        // Keep the focus in the field, so the click picks rather than blurs.
        li.addEventListener("mousedown", (e) => e.preventDefault());
        li.addEventListener("click", () => choose(li));
        return li;
      });
      list.replaceChildren(...options);
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", String(options.length > 0));
      const n = options.length;
      status.textContent =
        n === 0 ? "No time zone matches."
        : found.total > n ? `${found.total} time zones match; the first ${n} are listed. Use the arrow keys to choose.`
        : `${n} time zone${n === 1 ? "" : "s"} match. Use the arrow keys to choose.`;
    };
    const search = async () => {
      const q = input.value.trim();
      const mine = ++asked;
      if (!q) {
        close();
        status.textContent = "";
        return;
      }
      try {
        const r = await fetch(`/api/v1/zones?q=${encodeURIComponent(q)}`);
        if (!r.ok) return;
        const found = await r.json();
        // Only the answer to the latest text, and only while the person is still here.
        if (mine === asked && document.activeElement === input) show(found);
      } catch {
        /* the field still takes free text */
      }
    };

    input.addEventListener("input", () => {
      for (const p of picks) p.checked = false;
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (e) => {
      const open = !list.hidden && options.length > 0;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!open) {
          search();
          return;
        }
        const n = options.length;
        highlight(e.key === "ArrowDown" ? (active + 1) % n : active <= 0 ? n - 1 : active - 1);
      } else if (e.key === "Enter" && open && active >= 0) {
        e.preventDefault();
        choose(options[active]);
      } else if (e.key === "Escape" && open) {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
    for (const p of picks) p.addEventListener("change", () => p.checked && (input.value = p.value));
  }
}

/** Select an element's text so the person can copy it by hand. */
function selectText(el) {
  const selection = window.getSelection();
  if (!selection) return;
  const range = document.createRange();
  range.selectNodeContents(el);
  selection.removeAllRanges();
  selection.addRange(range);
}

/** Add a "Copy" button after every .secret element. */
function addCopyButtons() {
  for (const secret of document.querySelectorAll(".secret")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small secondary copy";
    button.textContent = "Copy";

    const status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    let timer = 0;
    const say = (buttonText, message, visible) => {
      button.textContent = buttonText;
      status.classList.toggle("visually-hidden", !visible);
      status.textContent = message;
      clearTimeout(timer);
      timer = setTimeout(() => {
        button.textContent = "Copy";
        status.textContent = "";
      }, 2500);
    };

    button.addEventListener("click", async () => {
      const text = (secret.textContent || "").trim();
      try {
        if (!navigator.clipboard || !navigator.clipboard.writeText) throw new Error("no clipboard");
        await navigator.clipboard.writeText(text);
        say("Copied", "Copied", false);
      } catch {
        selectText(secret);
        say("Copy", "Could not copy automatically. The text is selected: press Ctrl+C (or ⌘C) to copy it.", true);
      }
    });

    secret.after(button, status);
  }
}

/** Move focus to the error summary so screen readers announce it. */
function focusErrors() {
  const summary = document.getElementById("form-errors");
  if (summary) summary.focus();
}

/**
 * On a new community, propose the address from the name until the person
 * types one of their own (the server does the same when it is left empty).
 */
function suggestSlug() {
  const form = document.querySelector('form[action="/communities/new"]');
  if (!form) return;
  const name = form.querySelector('input[name="name"]');
  const slug = form.querySelector('input[name="slug"]');
  if (!name || !slug) return;
  let own = slug.value.trim() !== "";
  slug.addEventListener("input", () => { own = slug.value.trim() !== ""; });
  name.addEventListener("input", () => {
    if (own) return;
    slug.value = name.value
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "");
  });
}

/**
 * Series form: show only the fields that belong to the chosen repetition
 * (elements with data-repeat="daily weekly …") and the chosen place.
 */
function seriesForm() {
  const form = document.querySelector("form.series-form");
  if (!form) return;

  const parts = form.querySelectorAll("[data-repeat]");
  const showRepeat = () => {
    const checked = form.querySelector('input[name="repeat"]:checked');
    for (const part of parts) {
      // Nothing chosen (or no choice on this form): show everything, as without script.
      part.hidden = checked ? !(part.dataset.repeat || "").split(/\s+/).includes(checked.value) : false;
    }
  };

  const fieldOf = (name) => {
    const input = form.querySelector(`[name="${name}"]`);
    return input ? input.closest(".field") : null;
  };
  const video = fieldOf("video_url");
  const placeField = fieldOf("place_id");
  const onlinePlaces = fieldOf("online_capacity");
  // Online, in person or both: show the fields that apply (all of them without script).
  const showPlace = () => {
    const place = form.querySelector('input[name="place"]:checked');
    const value = place ? place.value : "";
    if (video) video.hidden = value === "in_person";
    if (placeField) placeField.hidden = value === "online";
    if (onlinePlaces) onlinePlaces.hidden = value !== "" && value !== "hybrid";
  };

  // Typing a last date or a number of sessions picks that way of ending.
  for (const [name, value] of [["until", "until"], ["count", "count"]]) {
    const input = form.querySelector(`input[name="${name}"]`);
    const radio = form.querySelector(`input[name="ends"][value="${value}"]`);
    if (input && radio) input.addEventListener("input", () => { if (input.value) radio.checked = true; });
  }

  form.addEventListener("change", (event) => {
    const name = event.target && event.target.name;
    if (name === "repeat") showRepeat();
    if (name === "place") showPlace();
  });
  showRepeat();
  showPlace();
}

/** "1 h 5 min", "50 min", "2 h", as the server writes durations. */
function durationWords(minutes) {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  if (m === 0) return `${h} h`;
  return `${h} h ${m} min`;
}

/**
 * Format editor: keep the total up to date, and add "move up"/"move down"
 * buttons that reorder the rows and renumber the position fields to match.
 */
function phaseEditor() {
  const table = document.querySelector("table.phase-table");
  if (!table || !table.tBodies[0]) return;
  const body = table.tBodies[0];
  const scope = table.closest("form") || document;
  const total = scope.querySelector("[data-total]");

  const updateTotal = () => {
    if (!total) return;
    let sum = 0;
    for (const input of table.querySelectorAll("input[data-minutes]")) {
      const row = input.closest("tr");
      // A row ticked for removal is not part of the format any more.
      if (row && row.querySelector('input[type="checkbox"][name^="remove_"]:checked')) continue;
      const value = input.value.trim();
      if (/^\d+$/.test(value)) sum += Number(value);
    }
    total.textContent = durationWords(sum);
  };

  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  table.after(status);

  const rows = () => Array.from(body.rows);

  const makeButton = (direction, glyph) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small secondary";
    button.dataset.move = direction;
    button.title = direction === "up" ? "Move up" : "Move down";
    const icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = glyph;
    const name = document.createElement("span");
    name.className = "visually-hidden";
    button.append(icon, name);
    return button;
  };

  /** Numbers the rows in their visual order: position fields, labels, button names. */
  const renumber = (changeOrder) => {
    const all = rows();
    all.forEach((row, i) => {
      const n = i + 1;
      const order = row.querySelector('input[name^="order_"]');
      if (order && changeOrder) order.value = String(n);
      for (const label of row.querySelectorAll("label")) {
        label.textContent = label.textContent.replace(/\bphase \d+\b/, `phase ${n}`);
      }
      for (const button of row.querySelectorAll("button[data-move]")) {
        const up = button.dataset.move === "up";
        button.lastElementChild.textContent = `Move phase ${n} ${up ? "up" : "down"}`;
        const stuck = up ? i === 0 : i === all.length - 1;
        if (stuck) button.setAttribute("aria-disabled", "true");
        else button.removeAttribute("aria-disabled");
      }
    });
  };

  for (const row of rows()) {
    const cell = row.cells[0];
    if (!cell) continue;
    const move = document.createElement("span");
    move.className = "move";
    move.append(makeButton("up", "↑"), makeButton("down", "↓"));
    cell.append(move);
  }

  body.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-move]") : null;
    if (!button || button.getAttribute("aria-disabled") === "true") return;
    const row = button.closest("tr");
    if (!row) return;
    // Move the neighbour rather than this row, so the focused button stays where it is.
    if (button.dataset.move === "up" && row.previousElementSibling) row.after(row.previousElementSibling);
    else if (button.dataset.move === "down" && row.nextElementSibling) row.before(row.nextElementSibling);
    else return;
    renumber(true);
    const all = rows();
    status.textContent = `Moved to position ${all.indexOf(row) + 1} of ${all.length}.`;
  });

  table.addEventListener("input", updateTotal);
  table.addEventListener("change", updateTotal);
  renumber(false);
  updateTotal();
}

/**
 * Visitors who are not signed in see times in their browser's zone: the
 * server renders them, told the zone by a cookie, so a page reads the same
 * with or without this script. On the first visit (or after travelling) the
 * cookie is set and a page that shows times is loaded once more.
 */
function rememberBrowserZone() {
  if (document.querySelector('form[action="/signout"]')) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-/]{1,64}$/.test(zone)) return;
  const current = (document.cookie.match(/(?:^|;\s*)cowork_zone=([^;]*)/) || [])[1] || "";
  if (decodeURIComponent(current) === zone) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `cowork_zone=${encodeURIComponent(zone)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  const stored = (document.cookie.match(/(?:^|;\s*)cowork_zone=([^;]*)/) || [])[1] || "";
  // Reload only once per zone, and only when the cookie took (no loop if cookies are off).
  const tried = sessionStorage.getItem("cowork-zone-reload");
  if (decodeURIComponent(stored) === zone && tried !== zone && document.querySelector("time[datetime], [data-zone-name]")) {
    sessionStorage.setItem("cowork-zone-reload", zone);
    location.reload();
  }
}

/** Visitors who are not signed in: the directory's filter form sends the browser's zone. */
function sendBrowserZone() {
  const input = document.querySelector("input[data-browser-zone]");
  if (!input || input.value) return;
  try {
    input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    /* keep UTC */
  }
}

function init() {
  sendBrowserZone();
  proposeBrowserZone();
  zoneCombobox();
  suggestSlug();
  seriesForm();
  phaseEditor();
  rememberBrowserZone();
  addCopyButtons();
  focusErrors();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init, { once: true });
} else {
  init();
}

/*
 * The place form: a coworking space's own fields (opening hours, drop-in
 * seats, free trial) show only for a coworking space; all show without script.
 */
for (const part of document.querySelectorAll("[data-for-kind]")) {
  const kind = part.closest("form")?.querySelector('[name="kind"]');
  if (!kind) continue;
  const show = () => { part.hidden = kind.value !== part.dataset.forKind; };
  kind.addEventListener("change", show);
  show();
}
