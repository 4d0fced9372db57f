// Hanko consoles: the one script. It keeps an element marked data-live="URL" current: when
// the event stream at URL says something changed, the page is fetched again from this
// console and that element's content replaced. Nothing else; forms work without it.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.EventSource) return;
  var timer = null;
  function refresh() {
    fetch(location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("[data-live]");
        if (fresh) live.innerHTML = fresh.innerHTML;
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { document.body.classList.add("offline"); });
  }
  var events = new EventSource(live.getAttribute("data-live"));
  // Opened (or opened again): what changed before the stream was open is fetched now.
  events.onopen = function () {
    document.body.classList.remove("offline");
    refresh();
  };
  events.onerror = function () { document.body.classList.add("offline"); };
  // At most one refresh each 150 ms however fast events come: a stream of events delays a
  // refresh by no more than that.
  events.onmessage = function () {
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, 150);
  };
})();
