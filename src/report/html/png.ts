// A palette PNG from a grid of colour indices, for charts that are a raster by nature (the SM timeline:
// one pixel per SM and time bin). Drawn as one image instead of thousands of SVG rectangles, a
// 132-SM × 1000-bin timeline takes a few KiB instead of most of a megabyte. The format is PNG's
// (ISO/IEC 15948): signature, IHDR, PLTE, one zlib stream of filtered scanlines in IDAT, IEND;
// each chunk's CRC-32 and the compression are Node's zlib.
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** "#rrggbb" as three bytes. */
function rgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`expected a colour #rrggbb, got ${hex}`);
  return [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16), Number.parseInt(m[3]!, 16)];
}

/**
 * A PNG of `width` × `height` pixels, 8-bit palette: `pixels[y * width + x]` is an index into
 * `palette` (at most 256 colours "#rrggbb").
 */
export function palettePng(width: number, height: number, pixels: Uint8Array, palette: readonly string[]): Uint8Array {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0))
    throw new Error(`expected a positive image size, got ${width}×${height}`);
  if (pixels.length !== width * height) throw new Error(`expected ${width * height} pixels, got ${pixels.length}`);
  if (palette.length === 0 || palette.length > 256) throw new Error(`expected 1 to 256 colours, got ${palette.length}`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 3, 0, 0, 0], 8); // bit depth 8, colour type 3 (palette), deflate, adaptive filtering, no interlace
  const plte = Uint8Array.from(palette.flatMap(rgb));
  // Each scanline starts with its filter type: 0 (none) suits a few flat colours.
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [SIGNATURE, chunk('IHDR', header), chunk('PLTE', plte), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The PNG as a data: URL (the page's Content-Security-Policy allows images from data: only). */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
