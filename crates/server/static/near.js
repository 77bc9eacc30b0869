// /near: "Use my location", and a map of the results drawn from nine tiles
// with numbered markers. The list is the page; without this file, or when
// tiles fail to load, everything still works.

const TILE = 256;

/** Fills the form's point from the browser's location and searches. */
function locate() {
  const button = document.getElementById("near-locate");
  const status = document.getElementById("near-locate-status");
  const lat = document.querySelector("[data-near-lat]");
  const lon = document.querySelector("[data-near-lon]");
  if (!button || !lat || !lon || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    status.textContent = "Finding where you are…";
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (p) => {
        // About 100 m: enough to search around, not more of you than needed in the address.
        lat.value = p.coords.latitude.toFixed(3);
        lon.value = p.coords.longitude.toFixed(3);
        const town = document.getElementById("f-q");
        if (town) town.value = "";
        status.textContent = "Searching around your location…";
        button.form.submit();
      },
      () => {
        button.disabled = false;
        status.textContent = "We couldn't get your location. Type a town instead.";
      },
      { maximumAge: 600000, timeout: 15000 },
    );
  });
}

/** Web Mercator: a position as pixels of the world at zoom `z`. */
function pixel(lat, lon, z) {
  const n = TILE * 2 ** z;
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return {
    x: ((lon + 180) / 360) * n,
    y: (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n,
  };
}

/** The closest zoom at which the radius fits in `half` pixels. */
function zoomFor(lat, km, half) {
  for (let z = 16; z > 1; z--) {
    const metresPerPixel = (156543.034 * Math.cos((lat * Math.PI) / 180)) / 2 ** z;
    if ((km * 1000) / metresPerPixel <= half) return z;
  }
  return 1;
}

function place(el, x, y) {
  el.style.left = `${Math.round(x)}px`;
  el.style.top = `${Math.round(y)}px`;
}

function drawMap() {
  const wrap = document.querySelector("[data-near-map-wrap]");
  const map = document.querySelector("[data-near-map]");
  if (!wrap || !map) return;
  const lat = Number(map.dataset.lat);
  const lon = Number(map.dataset.lon);
  const km = Number(map.dataset.radius);
  const template = map.dataset.tiles || "";
  if (![lat, lon, km].every(Number.isFinite) || !template) return;
  wrap.hidden = false;
  const width = map.clientWidth;
  const height = map.clientHeight;
  // Nine tiles reach at least one tile past the centre's own on every side.
  const half = Math.min(width, height, 2 * TILE) / 2 - 12;
  const z = zoomFor(lat, km, half);
  const c = pixel(lat, lon, z);
  const left = c.x - width / 2;
  const top = c.y - height / 2;
  const count = 2 ** z;
  const tx = Math.floor(c.x / TILE);
  const ty = Math.floor(c.y / TILE);
  const tiles = document.createDocumentFragment();
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const y = ty + dy;
      if (y < 0 || y >= count) continue;
      const x = (((tx + dx) % count) + count) % count;
      const img = document.createElement("img");
      img.className = "near-tile";
      img.alt = "";
      img.width = TILE;
      img.height = TILE;
      img.decoding = "async";
      img.referrerPolicy = "strict-origin";
      // A tile that does not come leaves the plain background.
      img.addEventListener("error", () => img.remove());
      img.src = template.replaceAll("{z}", z).replaceAll("{x}", x).replaceAll("{y}", y).replaceAll("{s}", "a");
      place(img, (tx + dx) * TILE - left, y * TILE - top);
      tiles.append(img);
    }
  }
  map.prepend(tiles);
  const ring = document.createElement("span");
  ring.className = "near-ring";
  const r = (km * 1000) / ((156543.034 * Math.cos((lat * Math.PI) / 180)) / 2 ** z);
  ring.style.width = ring.style.height = `${Math.round(2 * r)}px`;
  place(ring, width / 2 - r, height / 2 - r);
  const centre = document.createElement("span");
  centre.className = "near-centre";
  place(centre, width / 2, height / 2);
  map.append(ring, centre);
  // Places a street apart would hide each other's numbers: each later one
  // moves to the nearest free spot around its own.
  const taken = [];
  const free = (x, y) => taken.every((t) => Math.hypot(t.x - x, t.y - y) >= 26);
  for (const m of map.querySelectorAll(".near-marker")) {
    const p = pixel(Number(m.dataset.lat), Number(m.dataset.lon), z);
    let at = { x: p.x - left, y: p.y - top };
    for (let ring = 1; !free(at.x, at.y) && ring <= 4; ring++) {
      const spots = [...Array(6 * ring).keys()].map((k) => {
        const a = (2 * Math.PI * k) / (6 * ring);
        return { x: p.x - left + 26 * ring * Math.cos(a), y: p.y - top + 26 * ring * Math.sin(a) };
      });
      at = spots.find((s) => free(s.x, s.y)) || at;
    }
    taken.push(at);
    place(m, at.x, at.y);
  }
}

locate();
try {
  drawMap();
} catch {
  // The list says everything the map does.
  document.querySelector("[data-near-map-wrap]")?.setAttribute("hidden", "");
}
