// Data loader: parquet_wasm_bg.wasm from node_modules, so the built site serves it itself (no CDN).
import {createReadStream} from "node:fs";
import {createRequire} from "node:module";

createReadStream(createRequire(import.meta.url).resolve("parquet-wasm/esm/parquet_wasm_bg.wasm")).pipe(process.stdout);
