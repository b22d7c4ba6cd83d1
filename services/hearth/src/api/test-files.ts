import { PNG } from 'pngjs';

/** The API tests' files: a minimal PDF, and real PNGs. */

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** A real PNG of `width`×`height`, opaque, with a gradient so that it does not compress to nothing. */
export function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    image.data[i * 4] = i % 251;
    image.data[i * 4 + 1] = (i >> 3) % 253;
    image.data[i * 4 + 2] = 90;
    image.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(image);
}
