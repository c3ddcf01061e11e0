// After `vite build`: write `.br` and `.gz` beside every text file of the
// build, which the host serves as is to browsers that accept them.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist");
const TEXT = new Set([".js", ".css", ".html", ".svg", ".json"]);
// Below this, compression saves less than the extra round of headers costs.
const MIN_BYTES = 1024;

let before = 0;
let after = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) {
      walk(file);
      continue;
    }
    if (!TEXT.has(path.extname(name))) continue;
    const data = readFileSync(file);
    if (data.length < MIN_BYTES) continue;
    const br = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
    before += data.length;
    after += br.length;
  }
}
walk(dist);
console.log(`compressed: ${(before / 1024).toFixed(0)} kB of text files → ${(after / 1024).toFixed(0)} kB with brotli`);
