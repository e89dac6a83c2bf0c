// Observable Framework settings. Everything the pages load comes from node_modules or from
// site/data: no CDN at build or view time (no implicit npm: imports, no Google Fonts).
export default {
  title: "kdgat results",
  root: "src",
  output: "dist",
  pages: [
    {name: "Leaderboard", path: "/index"},
    {name: "Per attack and time to detect", path: "/attacks"},
    {name: "Knowledge distillation", path: "/kd"},
    {name: "Fusion", path: "/fusion"},
    {name: "Training curves", path: "/training"},
    {name: "Datasets", path: "/datasets"}
  ],
  // Our stylesheet imports Framework's own (bundled) instead of the default theme with its
  // Google Fonts; globalStylesheets: [] drops the fonts' <link>s.
  style: "style.css",
  globalStylesheets: [],
  head: '<link rel="icon" href="data:,">',
  footer: "kdgat: graph-based intrusion detection. Numbers from the lakehouse export.",
  search: false,
  // foo.html, not foo: any static server (python -m http.server too) finds the pages.
  cleanUrls: false
};
