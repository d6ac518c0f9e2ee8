// Images and media for the app's Python (pyshell.files.url, read_bytes, thumbnail;
// pyshell.dom.object_url), made in the worker. Blob URLs made in a dedicated worker are
// the page's too (same origin), so Python can hand them to <img>, <video> and CSS.

const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** An object URL over a copy of the Python bytes ``data`` (a PyProxy of bytes). */
export function objectUrl(data, mime) {
  const bytes = data.toJs(); // a copy: the proxy of the Python bytes ends with this call
  return URL.createObjectURL(new Blob([bytes], { type: mime }));
}

/**
 * The bytes at ``url`` (a grant file URL or an object URL), fetched without holding up
 * the worker: other handlers run while they come. Rejects with "HTTP 404" and the like.
 */
export async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A scaled copy of the image at ``url``, at most ``maxPx`` wide and high (its aspect kept,
 * never enlarged), as JSON ``{url, width, height, bytes}`` (an object URL of a JPEG for a JPEG,
 * else a PNG) or ``{error, status}``: a file that cannot be decoded is an error, never a
 * wait. Made on the host, by a sandboxed decoder that decodes a JPEG at a reduced scale,
 * and kept there for the next launch; where no decoder runs on the host, made here and sent
 * to the host to keep (``keptThumbnail``).
 */
export async function thumbnail(url, maxPx, token) {
  const at = `${url.replace("/_pyshell/file/", "/_pyshell/api/thumbs/")}?px=${maxPx}`;
  const headers = { "x-pyshell-token": token };
  try {
    const response = await fetch(at, { headers });
    if (response.status !== 503) return JSON.stringify(await hostMade(response));
  } catch (err) {
    return JSON.stringify({ error: firstLine(err), status: 0 });
  }
  const { small, ...made } = await thumbnailAt(url, maxPx);
  if (small) { // kept before Python revokes the file's URL
    await fetch(at, { method: "PUT", body: small,
                      headers: { ...headers, "content-type": small.type } })
      .catch(() => {});
  }
  return JSON.stringify(made);
}

/**
 * A response's body as a Blob made here. Not ``response.blob()``: in QtWebEngine each blob
 * of a response kept about half a megabyte in the browser process for as long as it
 * lived (300 thumbnails held 120 MB of the app's own process).
 */
async function bodyBlob(response) {
  return new Blob([await response.arrayBuffer()],
                  { type: response.headers.get("content-type") ?? "" });
}

/** ``{url, width, height, bytes}`` of the host's answer, or ``{error, status}``. */
async function hostMade(response) {
  if (!response.ok) {
    const why = response.status === 415 ? await response.text() : `HTTP ${response.status}`;
    return { error: why, status: response.status };
  }
  const small = await bodyBlob(response);
  return { url: URL.createObjectURL(small), bytes: small.size,
           width: Number(response.headers.get("x-pyshell-width")),
           height: Number(response.headers.get("x-pyshell-height")) };
}

/**
 * The thumbnails kept from an earlier launch for ``wanted`` (JSON ``[{g, p, px}]``: grant,
 * path, size), for files unchanged since: JSON ``[{url, bytes} | {make} | null]`` in the
 * same order, where ``make`` is a new URL of a file with none kept (to make it from) and
 * null a file out of reach. Asked on the file service's channel (``transport``), in as few
 * requests as the answers' size allows: a grid's first screen costs one trip, not one a cell.
 */
export function keptThumbnails(transport, wanted) {
  const items = JSON.parse(wanted);
  const made = [];
  while (transport && made.length < items.length) {
    const reply = transport("kept-thumbs", { items: items.slice(made.length) });
    if (reply.error || !reply.ok.found.length) break;
    let at = 0;
    for (const found of reply.ok.found) {
      if (!found?.mime) {
        made.push(found && { make: found.url });
        continue;
      }
      const small = new Blob([reply.data.slice(at, at + found.size)], { type: found.mime });
      at += found.size;
      made.push({ url: URL.createObjectURL(small), bytes: small.size });
    }
  }
  while (made.length < items.length) made.push(null);
  return JSON.stringify(made);
}

async function thumbnailAt(url, maxPx) {
  let blob;
  try {
    const response = await fetch(url);
    if (!response.ok) return { error: `HTTP ${response.status}`, status: response.status };
    blob = await bodyBlob(response);
  } catch (err) {
    return { error: firstLine(err), status: 0 };
  }
  return await scaled(blob, maxPx);
}

/** ``thumbnail`` of bytes from Python (a file of the web build's browser storage). */
export async function thumbnailOf(data, mime, maxPx) {
  const blob = new Blob([data.toJs()], { type: mime }); // before the proxy ends with the call
  const { small, ...made } = await scaled(blob, maxPx);
  return JSON.stringify(made);
}

/** ``{url, width, height, bytes, small}`` (``small``: the new image's blob) or ``{error, status}``. */
async function scaled(blob, maxPx) {
  let bitmap;
  try {
    bitmap = await scaledBitmap(blob, maxPx);
  } catch {
    return { error: "not an image this engine can decode", status: 0 };
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    const type = blob.type === "image/jpeg" ? "image/jpeg" : "image/png";
    const small = await canvas.convertToBlob({ type, quality: 0.85 });
    return { url: URL.createObjectURL(small), width, height, bytes: small.size, small };
  } catch (err) {
    return { error: firstLine(err), status: 0 };
  } finally {
    bitmap.close();
  }
}

/**
 * The image decoded at its thumbnail size, upright: where its header gives its size (PNG,
 * JPEG, GIF), the engine is asked for that size at once; otherwise decoded whole, then
 * scaled.
 */
async function scaledBitmap(blob, maxPx) {
  const head = new Uint8Array(await blob.slice(0, 64 * 1024).arrayBuffer());
  const stored = imageSize(head);
  // A camera's EXIF orientation: 5-8 are turned a quarter, so the picture as seen (which
  // the engine decodes, and the resize is in) has the stored width as its height.
  const turned = isJpeg(head) ? jpegOrientation(head) : 1;
  const known = stored && turned >= 5 ? { width: stored.height, height: stored.width } : stored;
  const fit = ({ width, height }) => {
    const scale = Math.min(1, maxPx / Math.max(width, height));
    return { resizeWidth: Math.max(1, Math.round(width * scale)),
             resizeHeight: Math.max(1, Math.round(height * scale)), resizeQuality: "high" };
  };
  if (known && turned === 1 && isJpeg(head) && self.ImageDecoder) {
    try {
      return await reducedJpeg(blob, fit(known));
    } catch {
      // decoded whole below, which names what is wrong with it
    }
  }
  if (known) return await createImageBitmap(blob, fit(known));
  const whole = await createImageBitmap(blob);
  try {
    return await createImageBitmap(whole, fit(whole));
  } finally {
    whole.close();
  }
}

/**
 * A JPEG decoded at a reduced scale (1/2, 1/4 or 1/8: the smallest not below ``size``,
 * which JPEG allows for a fraction of a full decode's time and memory), then scaled to
 * ``size``. WebCodecs' ImageDecoder does this where the engine has it; createImageBitmap
 * decodes the whole picture first.
 */
async function reducedJpeg(blob, size) {
  const decoder = new self.ImageDecoder({ data: blob.stream(), type: "image/jpeg",
                                          desiredWidth: size.resizeWidth,
                                          desiredHeight: size.resizeHeight });
  try {
    const { image } = await decoder.decode();
    try {
      return await createImageBitmap(image, size);
    } finally {
      image.close();
    }
  } finally {
    decoder.close();
  }
}

const isJpeg = (b) => b.length >= 4 && b[0] === 0xff && b[1] === 0xd8;

/** {width, height} from a PNG, GIF or JPEG header, or null. */
export function imageSize(b) {
  const u16 = (i) => (b[i] << 8) | b[i + 1];
  const u32 = (i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    return { width: u32(16), height: u32(20) };
  }
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) {
    return { width: b[6] | (b[7] << 8), height: b[8] | (b[9] << 8) };
  }
  if (!isJpeg(b)) return null;
  // The first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC): precision, height, width.
  for (const [marker, at] of jpegSegments(b)) {
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      const size = { width: u16(at + 3), height: u16(at + 1) };
      return at + 5 <= b.length && size.width && size.height ? size : null;
    }
  }
  return null;
}

/** A JPEG's EXIF orientation (1: as stored; anything else is turned or mirrored). */
function jpegOrientation(b) {
  for (const [marker, at, length] of jpegSegments(b)) {
    const exif = marker === 0xe1 && length >= 14 && b[at] === 0x45 && b[at + 1] === 0x78
      && b[at + 2] === 0x69 && b[at + 3] === 0x66; // "Exif"
    if (!exif) continue;
    const tiff = at + 6; // after "Exif\0\0": a TIFF header, II (little-endian) or MM
    const little = b[tiff] === 0x49;
    const u16 = (i) => (little ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1]);
    const u32 = (i) => (little ? u16(i) + u16(i + 2) * 65536 : u16(i) * 65536 + u16(i + 2));
    const ifd = tiff + u32(tiff + 4);
    const count = ifd + 2 <= b.length ? u16(ifd) : 0;
    for (let n = 0; n < count && ifd + 14 + 12 * n <= b.length; n++) {
      const entry = ifd + 2 + 12 * n;
      if (u16(entry) === 0x0112) return u16(entry + 8);
    }
  }
  return 1;
}

/** A JPEG's segments up to its image data: [marker, where the payload starts, its length]. */
function* jpegSegments(b) {
  for (let i = 2; i + 3 < b.length;) {
    if (b[i] !== 0xff) return;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const length = (b[i + 2] << 8) | b[i + 3];
    yield [marker, i + 4, length - 2];
    if (marker === 0xda) return; // start of scan: the compressed picture follows
    i += 2 + length;
  }
}
