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

function init() {
  proposeBrowserZone();
  suggestSlug();
  addCopyButtons();
  focusErrors();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init, { once: true });
} else {
  init();
}
