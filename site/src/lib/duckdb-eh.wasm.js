// Data loader: duckdb-eh.wasm from node_modules, so the built site serves it itself (no CDN).
import {createReadStream} from "node:fs";
import {createRequire} from "node:module";

createReadStream(createRequire(import.meta.url).resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm")).pipe(process.stdout);
