import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import decoderGlue from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import encoderGlue from '@jsquash/jpeg/codec/enc/mozjpeg_enc.js';
import type { Pixels } from './thumbnail.ts';

/*
 * JPEG decoding and encoding with MozJPEG (libjpeg-turbo) compiled to WebAssembly, as
 * @jsquash/jpeg ships it: no install script, no native library, four times as fast as jpeg-js
 * and a third of its memory (bench/thumbnail.ts: a 4000×3000 JPEG in 170 ms and 8–12 bytes a
 * pixel, the output's copy out of the WebAssembly memory included). Its Emscripten glue expects
 * a browser to fetch the .wasm file; here the file is read from node_modules and compiled once,
 * and each image gets an instance of its own, made synchronously in about 2 ms. A WebAssembly
 * memory only grows, so a kept instance would hold the largest image it ever decoded for good; a
 * dropped one is given back when V8 next collects garbage (createThumbnailer does not wait for
 * that: it stops its worker after a large image).
 */

/** The part of the WebAssembly API used here: the repository's types have no DOM, where TypeScript declares it. */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
}
type WasmModule = object;
interface WasmInstance {
  readonly exports: object;
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmApi };

/** The parts of an Emscripten module's options that are used here; the glue adds the bound functions to the same object. */
interface GlueOptions {
  readonly noInitialRun: true;
  readonly print: (text: string) => void;
  readonly printErr: (text: string) => void;
  readonly instantiateWasm: (imports: WasmImports, receive: (instance: WasmInstance) => void) => object;
}

/** Emscripten's imports: one namespace whose functions have minified keys but keep their names. */
interface WasmImports {
  readonly a: Readonly<Record<string, unknown>>;
}

type Glue = (options: GlueOptions) => Promise<unknown>;

interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

interface Decoder {
  decode(bytes: Uint8Array, preserveOrientation: boolean): DecodedImage | null;
}

/** MozJPEG's settings (@jsquash/jpeg's EncodeOptions); all must be given. */
interface EncodeSettings {
  readonly quality: number;
  readonly baseline: boolean;
  readonly arithmetic: boolean;
  readonly progressive: boolean;
  readonly optimize_coding: boolean;
  readonly smoothing: number;
  readonly color_space: number;
  readonly quant_table: number;
  readonly trellis_multipass: boolean;
  readonly trellis_opt_zero: boolean;
  readonly trellis_opt_table: boolean;
  readonly trellis_loops: number;
  readonly auto_subsample: boolean;
  readonly chroma_subsample: number;
  readonly separate_chroma_quality: boolean;
  readonly chroma_quality: number;
}

interface Encoder {
  encode(data: Uint8Array, width: number, height: number, settings: EncodeSettings): Uint8Array;
}

/** MozJPEG's defaults for the web (progressive, optimised Huffman tables, 4:2:0 chroma) at the given quality. */
function encodeSettings(quality: number): EncodeSettings {
  return {
    quality,
    baseline: false,
    arithmetic: false,
    progressive: true,
    optimize_coding: true,
    smoothing: 0,
    color_space: 3, // YCbCr
    quant_table: 3,
    trellis_multipass: false,
    trellis_opt_zero: false,
    trellis_opt_table: false,
    trellis_loops: 1,
    auto_subsample: true,
    chroma_subsample: 2,
    separate_chroma_quality: false,
    chroma_quality: quality,
  };
}

const compiled = new Map<string, WasmModule>();

function wasmModule(file: string): WasmModule {
  let module = compiled.get(file);
  if (module === undefined) {
    module = new wasm.Module(readFileSync(fileURLToPath(import.meta.resolve(`@jsquash/jpeg/codec/${file}`))));
    compiled.set(file, module);
  }
  return module;
}

/**
 * The glue's `emscripten_resize_heap`, wrapped to refuse growing the memory past `maxBytes`: the
 * allocation then fails inside the decoder, which gives up. Found by its function name, since the
 * import's key is minified; a glue without it cannot be held to a limit, so nothing is decoded.
 */
function withHeapLimit(imports: WasmImports, maxBytes: number): WasmImports {
  const key = Object.keys(imports.a).find((name) => (imports.a[name] as { name?: unknown } | undefined)?.name === '_emscripten_resize_heap');
  const resize = key === undefined ? undefined : imports.a[key];
  if (key === undefined || typeof resize !== 'function') throw new Error('the JPEG codec has no emscripten_resize_heap to hold to a memory limit');
  const limited = (requested: number): boolean => requested >>> 0 <= maxBytes && Boolean(resize(requested));
  return { ...imports, a: { ...imports.a, [key]: limited } };
}

/**
 * The glue answers with `new ImageData(…)`, which Node lacks. When it finds none, it defines one
 * inside the scope of the first instance, which that global then keeps alive, memory and all, for
 * good; so one is defined here first.
 */
function defineImageData(): void {
  const global = globalThis as { ImageData?: unknown };
  global.ImageData ??= class ImageData {
    readonly data: Uint8ClampedArray;
    readonly width: number;
    readonly height: number;
    constructor(data: Uint8ClampedArray, width: number, height: number) {
      this.data = data;
      this.width = width;
      this.height = height;
    }
  };
}

/** A new instance of a codec, its messages (libjpeg's warnings and errors, one a line) collected in `messages`. */
function instantiate<Codec>(glue: unknown, file: string, maxHeapBytes: number, messages: string[]): Partial<Codec> {
  defineImageData();
  const options: GlueOptions = {
    noInitialRun: true,
    print: (text) => messages.push(text),
    printErr: (text) => messages.push(text),
    instantiateWasm(imports, receive) {
      const instance = new wasm.Instance(wasmModule(file), withHeapLimit(imports, maxHeapBytes));
      receive(instance);
      return instance.exports;
    },
  };
  // The instance is made synchronously above, and the glue binds the codec's functions to
  // `options` before it returns; its promise only repeats that (or a failure, seen below).
  (glue as Glue)(options).catch(() => undefined);
  return options as unknown as Partial<Codec>;
}

/** What `codec` returns; when it fails (libjpeg exits, which the glue throws as an ExitStatus that is no Error), an Error with its messages. */
function failingWith<T>(messages: readonly string[], codec: () => T): T {
  try {
    return codec();
  } catch (error) {
    throw new Error(`the JPEG codec failed: ${messages.join('; ') || String(error)}`, { cause: error });
  }
}

/**
 * The pixels of a JPEG as RGBA, as stored (its EXIF orientation is not applied). Throws when the
 * decoder fails or warns (data cut short or damaged: libjpeg would fill the rest with grey), and
 * when it would need more than `maxHeapBytes` of WebAssembly memory.
 */
export function decodeJpeg(bytes: Uint8Array, maxHeapBytes: number): Pixels {
  const messages: string[] = [];
  const decoder = instantiate<Decoder>(decoderGlue, 'dec/mozjpeg_dec.wasm', maxHeapBytes, messages);
  const decode = decoder.decode;
  if (decode === undefined) throw new Error(`the JPEG decoder did not start: ${messages.join('; ')}`);
  const image = failingWith(messages, () => decode.call(decoder, bytes, false));
  if (image === null || messages.length > 0) throw new Error(`the JPEG does not decode: ${messages.join('; ')}`);
  return { width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
}

/** The encoder's input is a thumbnail, already small: its memory needs no limit of its own. */
const UNLIMITED = Number.POSITIVE_INFINITY;

/** A JPEG of RGBA pixels (alpha ignored) at `quality` (0–100). */
export function encodeJpeg(image: Pixels, quality: number): Uint8Array {
  const messages: string[] = [];
  const encoder = instantiate<Encoder>(encoderGlue, 'enc/mozjpeg_enc.wasm', UNLIMITED, messages);
  const encode = encoder.encode;
  if (encode === undefined) throw new Error(`the JPEG encoder did not start: ${messages.join('; ')}`);
  return failingWith(messages, () => encode.call(encoder, image.data, image.width, image.height, encodeSettings(quality)));
}
