// Small helpers shared by the pages: filters, number formats, results tables.
import * as Inputs from "@observablehq/inputs";
import {ALL} from "./db.js";

// A select of `values`, first "(all)" unless all is false; data-filter names it for tests.
export function choose(label, values, {all = true} = {}) {
  const input = Inputs.select(all ? [ALL, ...values] : values, {label});
  input.dataset.filter = label;
  return input;
}

export function fixed(digits = 3) {
  return (v) => (v == null || Number.isNaN(v) ? "" : v.toFixed(digits));
}

export const f3 = fixed(3);
export const integer = (v) => (v == null ? "" : Math.round(v).toLocaleString("en-US"));
export const interval = (low, high) => (low == null || Number.isNaN(low) ? "" : `[${f3(low)}, ${f3(high)}]`);
export const percent = (v) => (v == null ? "" : `${(100 * v).toFixed(1)} %`);

// A plain HTML table: columns are [key, label, format?]; every cell carries data-col=key.
export function table(rows, columns, {id} = {}) {
  const node = document.createElement("table");
  node.className = "results";
  if (id) node.id = id;
  const head = node.createTHead().insertRow();
  for (const [key, label, format] of columns) {
    const th = document.createElement("th");
    th.textContent = label;
    th.dataset.col = key;
    if (format) th.className = "num";
    head.append(th);
  }
  const body = node.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [key, , format] of columns) {
      const td = tr.insertCell();
      td.dataset.col = key;
      td.textContent = format ? format(row[key], row) : row[key] ?? "";
      if (format) td.className = "num";
      if (key === "mark" && row.mark) td.className = "chance";
    }
  }
  if (!rows.length) {
    const td = body.insertRow().insertCell();
    td.colSpan = columns.length;
    td.textContent = "no rows for these filters";
  }
  return node;
}

// Framework's reactive `width` can be 0 on a page's first render (seen in CI's Chromium), and a
// plot narrower than its margins draws rects of negative width; never go below a readable width.
export const plotWidth = (width) => Math.max(width, 640);

// A chart in a figure the browser test can find (data-chart) with a caption.
export function chart(name, plot, caption) {
  const figure = document.createElement("figure");
  figure.dataset.chart = name;
  figure.append(plot);
  if (caption) {
    const text = document.createElement("figcaption");
    text.textContent = caption;
    figure.append(text);
  }
  return figure;
}

export function distinct(rows, key) {
  return [...new Set(rows.map((d) => d[key]))].filter((v) => v != null).sort();
}
