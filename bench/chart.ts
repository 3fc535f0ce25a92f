/**
 * A small line chart written as a PNG with nothing but node:zlib: panels of
 * series against one x axis, a 5×7 bitmap font for labels. Enough for the
 * benchmark's scaling curve without an image library.
 */
import { deflateSync } from 'node:zlib';

type Rgb = [number, number, number];

/** 5×7 glyphs, one 5-bit row per number (bit 4 = leftmost column). */
const FONT: Record<string, number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '.': [0, 0, 0, 0, 0, 12, 12],
  ',': [0, 0, 0, 0, 12, 4, 8],
  '-': [0, 0, 0, 31, 0, 0, 0],
  '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8],
  '/': [1, 1, 2, 4, 8, 16, 16],
  ':': [0, 12, 12, 0, 12, 12, 0],
  '=': [0, 0, 31, 0, 31, 0, 0],
  '%': [24, 25, 2, 4, 8, 19, 3],
  '+': [0, 4, 4, 31, 4, 4, 0],
  x: [0, 0, 17, 10, 4, 10, 17],
};

class Canvas {
  readonly px: Uint8Array;
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = new Uint8Array(w * h * 3).fill(255);
  }
  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    this.px.set(c, (y * this.w + x) * 3);
  }
  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.rect(x - Math.floor(width / 2), y - Math.floor(width / 2), width, width, c);
    }
  }
  text(x: number, y: number, s: string, c: Rgb, scale = 2): void {
    [...s.toUpperCase()].forEach((ch, k) => {
      const g = FONT[ch] ?? FONT[' ']!;
      g.forEach((row, j) => {
        for (let i = 0; i < 5; i++) if (row & (16 >> i)) this.rect(x + (k * 6 + i) * scale, y + j * scale, scale, scale, c);
      });
    });
  }
  static textWidth(s: string, scale = 2): number {
    return s.length * 6 * scale;
  }
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

function png(canvas: Canvas): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(canvas.w, 0);
  ihdr.writeUInt32BE(canvas.h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const raw = Buffer.alloc((canvas.w * 3 + 1) * canvas.h);
  for (let y = 0; y < canvas.h; y++) Buffer.from(canvas.px.buffer, y * canvas.w * 3, canvas.w * 3).copy(raw, y * (canvas.w * 3 + 1) + 1);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface Series {
  label: string;
  values: number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

const COLOURS: Rgb[] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [148, 103, 189],
  [255, 127, 14],
];
const GREY: Rgb = [200, 200, 200];
const INK: Rgb = [30, 30, 30];

const niceMax = (v: number) => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) ?? 10 * p;
};
const short = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(2)}K` : `${+v.toFixed(1)}`);

/** Panels side by side over the same x values (linear axes from 0), as a PNG. */
export function lineChart(xLabel: string, xs: number[], panels: Panel[]): Buffer {
  const pw = 520;
  const ph = 380;
  const canvas = new Canvas(pw * panels.length, ph);
  const xMax = niceMax(Math.max(...xs));
  panels.forEach((panel, p) => {
    const left = p * pw + 70;
    const right = (p + 1) * pw - 20;
    const top = 50;
    const bottom = ph - 70;
    const yMax = niceMax(Math.max(...panel.series.flatMap((s) => s.values)));
    const X = (x: number) => left + ((right - left) * x) / xMax;
    const Y = (y: number) => bottom - ((bottom - top) * y) / yMax;
    canvas.text(left, 15, panel.title, INK);
    for (let k = 0; k <= 4; k++) {
      const yv = (yMax * k) / 4;
      canvas.line(left, Y(yv), right, Y(yv), GREY);
      const label = short(yv);
      canvas.text(left - 8 - Canvas.textWidth(label), Y(yv) - 7, label, INK);
      const xv = (xMax * k) / 4;
      canvas.line(X(xv), bottom, X(xv), bottom + 5, INK);
      canvas.text(X(xv) - Canvas.textWidth(short(xv)) / 2, bottom + 12, short(xv), INK);
    }
    canvas.line(left, top, left, bottom, INK, 2);
    canvas.line(left, bottom, right, bottom, INK, 2);
    canvas.text((left + right) / 2 - Canvas.textWidth(xLabel) / 2, bottom + 38, xLabel, INK);
    panel.series.forEach((s, k) => {
      const c = COLOURS[k % COLOURS.length]!;
      s.values.forEach((v, i) => {
        if (i) canvas.line(X(xs[i - 1]!), Y(s.values[i - 1]!), X(xs[i]!), Y(v), c, 3);
        canvas.rect(X(xs[i]!) - 4, Y(v) - 4, 9, 9, c);
      });
      canvas.rect(left + 12, top + 8 + k * 22, 14, 14, c);
      canvas.text(left + 32, top + 8 + k * 22, s.label, INK);
    });
  });
  return png(canvas);
}
