// Starts the requests the opening page will make while the app's code is
// still downloading, so data and code arrive together instead of one after
// the other. The app takes each answer once (src/api/prefetch.ts); anything
// not taken is simply dropped. A plain script: the page's CSP allows no inline code.
(function () {
  if (!window.fetch) return;
  var asked = {};
  function ask(path) {
    asked[path] = fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  }
  ask("/api/setup");
  ask("/api/me");
  var page = /^\/profiles\/([0-9a-f]{32})(\/timeline|\/labs)?\/?$/.exec(location.pathname);
  if (page && !location.search) {
    var base = "/api/profiles/" + page[1];
    ask(page[2] === "/timeline" ? base + "/timeline?limit=50" : page[2] === "/labs" ? base + "/labs" : base + "/summary");
  }
  window.__hearthPrefetched = asked;
})();
