// The SDK demo: loads the tracker the way a customer's page does (a <script> tag with data-* attributes) and wires
// each button to one public API call. Kept as a separate file because the server's CSP forbids inline scripts.
//
// Query parameters: project (API key, required), api (analytics origin, default this page's origin), sdk (file
// under /static/sdk/, default sdk.min.js), and the flags hash, dnt, consent for data-hash-routing,
// data-respect-dnt and data-require-consent. They are kept on every demo URL so navigation keeps the setup.
(() => {
  var params = new URLSearchParams(location.search);
  var project = params.get("project");
  var $ = (id) => document.getElementById(id);

  function log(text) {
    var item = document.createElement("li");
    item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
    $("log").prepend(item);
  }

  function showRoute() {
    $("route").textContent = location.pathname + location.hash;
  }

  if (!project) {
    $("setup").hidden = false;
    return;
  }
  $("controls").hidden = false;
  showRoute();

  var api = (params.get("api") || location.origin).replace(/\/+$/, "");
  var sdkFile = /^sdk(\.[0-9a-f]{10})?(\.min)?\.js$/.test(params.get("sdk") || "") ? params.get("sdk") : "sdk.min.js";
  var script = document.createElement("script");
  script.src = `${api}/static/sdk/${sdkFile}`;
  script.setAttribute("data-project", project);
  script.setAttribute("data-api-url", api);
  if (params.get("hash")) script.setAttribute("data-hash-routing", "");
  if (params.get("dnt")) script.setAttribute("data-respect-dnt", "");
  if (params.get("consent")) script.setAttribute("data-require-consent", "");
  script.onload = () => {
    $("sdk-status").textContent = window.tracker ? "ready" : "not loaded";
  };
  script.onerror = () => {
    $("sdk-status").textContent = `failed to load ${script.src}`;
  };
  document.head.appendChild(script);

  // The demo's own routes keep the query string so the setup survives navigation.
  $("nav-away").href = `/demo/after${location.search}`;

  function on(id, action) {
    $(id).addEventListener("click", () => {
      if (!window.tracker) return log("the SDK has not loaded yet");
      try {
        log(action());
      } catch (error) {
        log(`error: ${error.message}`);
      }
      showRoute();
    });
  }

  on("send-event", () => {
    var name = $("event-name").value;
    var props = JSON.parse($("event-props").value || "{}");
    window.tracker.event(name, props);
    return `event ${name} ${JSON.stringify(props)}`;
  });
  on("identify", () => {
    window.tracker.identify($("user-id").value, { source: "demo" });
    return `identify ${$("user-id").value}`;
  });
  on("register", () => {
    window.tracker.register({ plan: "pro" });
    return "register { plan: pro } (added to every later event)";
  });
  on("reset", () => {
    window.tracker.reset();
    return "reset: distinct id, session and registered properties forgotten";
  });
  on("nav-push", () => {
    history.pushState({}, "", `/demo/pricing${location.search}`);
    return "pushState /demo/pricing";
  });
  on("nav-replace", () => {
    history.replaceState({}, "", `/demo/docs${location.search}`);
    return "replaceState /demo/docs";
  });
  on("nav-back", () => {
    history.back();
    return "history.back()";
  });
  on("nav-hash", () => {
    location.hash = "#/settings";
    return "hash #/settings (a page_view only with ?hash=1)";
  });
  on("flush", () => {
    window.tracker.flush();
    return "flush";
  });
  on("opt-out", () => {
    window.tracker.optOut();
    return "optOut: nothing is recorded until optIn()";
  });
  on("opt-in", () => {
    window.tracker.optIn();
    return "optIn";
  });
  addEventListener("popstate", showRoute);

  // The SDK's tab state ("_tracker" in sessionStorage): shown so a visitor can watch events queue and leave.
  function showState() {
    var raw = sessionStorage.getItem("_tracker");
    if (!raw) return;
    var state = JSON.parse(raw);
    $("state").textContent =
      state.q.length +
      " unsent event(s) · distinct id " +
      (state.d || "(none yet)") +
      " · session " +
      (state.s || "(none yet)");
  }
  setInterval(showState, 500);
})();
