// The door: scan passes with the camera where the browser has a
// BarcodeDetector, and filter the list of who is expected. Without either,
// typing the code and the list's buttons work the same.
const form = document.getElementById("code-form");
const input = document.getElementById("f-code");
const button = document.getElementById("scan");
const video = document.getElementById("scan-video");
const status = document.getElementById("scan-status");

// A pass's QR holds its check-in link; the code is its `code` parameter.
function codeOf(text) {
  try {
    return new URL(text).searchParams.get("code") || "";
  } catch {
    return text.trim();
  }
}

if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    let stream;
    try {
      const detector = new BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      status.textContent = "Point the camera at the pass.";
      for (;;) {
        const found = await detector.detect(video).catch(() => []);
        const code = found.length ? codeOf(found[0].rawValue) : "";
        if (code) {
          input.value = code;
          status.textContent = "Found a pass; checking in…";
          form.requestSubmit();
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } catch (e) {
      status.textContent = "The camera is not available here; type the code instead.";
    } finally {
      stream?.getTracks().forEach((t) => t.stop());
    }
  });
}

const filter = document.getElementById("f-filter");
filter?.addEventListener("input", () => {
  const q = filter.value.trim().toLowerCase();
  for (const li of document.querySelectorAll("#expected li")) {
    li.hidden = q !== "" && !li.dataset.name.includes(q);
  }
});
