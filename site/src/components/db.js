// DuckDB-WASM over the site's Parquet snapshots (written by `kdgat site build`).
//
// DuckDB-WASM reads Parquet through its parquet extension, which it downloads from
// extensions.duckdb.org; the site must work offline, so parquet-wasm (bundled) decodes each
// file to Arrow and DuckDB ingests the Arrow (no extension). Tables load on first use.
import * as duckdb from "@duckdb/duckdb-wasm";
import initParquet, {readParquet} from "parquet-wasm/esm";
import {FileAttachment} from "observablehq:stdlib";

const settings = await FileAttachment("../config.json").json();

// Where <table>.parquet lives: a public bucket (build-time data URL) or dist/data beside the pages.
export const dataUrl = settings.data_url
  ? settings.data_url.replace(/\/?$/, "/")
  : new URL("data/", document.baseURI).href;

let connection;
const loaded = new Map();

async function connect() {
  await initParquet({module_or_path: FileAttachment("../lib/parquet_wasm_bg.wasm").href});
  const worker = new Worker(FileAttachment("../lib/duckdb-browser-eh.worker.js").href);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(FileAttachment("../lib/duckdb-eh.wasm").href);
  const conn = await db.connect();
  // Never fetch an extension (that would be a request to extensions.duckdb.org).
  await conn.query("SET autoinstall_known_extensions = false");
  await conn.query("SET autoload_known_extensions = false");
  return conn;
}

async function load(conn, table) {
  const response = await fetch(new URL(`${table}.parquet`, dataUrl));
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}`);
  const arrow = readParquet(new Uint8Array(await response.arrayBuffer())).intoIPCStream();
  await conn.insertArrowFromIPCStream(arrow, {name: table});
}

// Rows of `query` over `tables` (loaded once per page) as plain objects: BigInt -> Number.
export async function sql(tables, query) {
  connection ??= connect();
  const conn = await connection;
  for (const table of tables) {
    if (!loaded.has(table)) loaded.set(table, load(conn, table));
    await loaded.get(table);
  }
  const result = await conn.query(query);
  return result.toArray().map((row) => {
    const plain = {};
    for (const [key, value] of Object.entries(row.toJSON())) {
      plain[key] = typeof value === "bigint" ? Number(value) : value;
    }
    return plain;
  });
}

// A SQL string literal.
export function literal(value) {
  return `'${String(value).replaceAll("'", "''")}'`;
}

// The filters' "any value" choice.
export const ALL = "(all)";

// `column = value` as SQL, or true for the "(all)" choice.
export function where(column, value) {
  return value == null || value === ALL ? "true" : `${column} = ${literal(value)}`;
}
