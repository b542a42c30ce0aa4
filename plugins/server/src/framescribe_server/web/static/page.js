// framescribe's page: the player follows the text and the text follows the player; upload progress.
// Everything works without this script except the sync (links carry ?t= and the player a #t= fragment).
(function () {
  "use strict";

  function setupPlayer() {
    var player = document.querySelector("[data-player]");
    if (!player) { return; }
    var items = Array.prototype.slice.call(document.querySelectorAll(".segments li[data-start]"));
    var spans = items.map(function (li) {
      var start = parseFloat(li.getAttribute("data-start"));
      var end = parseFloat(li.getAttribute("data-end"));
      return {li: li, start: start, end: Math.max(end, start + 0.001), list: li.parentNode};
    });

    items.forEach(function (li, i) {
      li.addEventListener("click", function (event) {
        if (event.target.closest("a") && !event.target.closest("a.time")) { return; }
        event.preventDefault();
        player.currentTime = spans[i].start;
        mark();
        var playing = player.play();
        if (playing && playing.catch) { playing.catch(function () { /* autoplay refused: stays paused there */ }); }
      });
    });

    function keepVisible(item) {
      var list = item.list;
      if (list.scrollHeight <= list.clientHeight) { return; }
      var top = item.li.offsetTop;
      if (top < list.scrollTop || top + item.li.offsetHeight > list.scrollTop + list.clientHeight) {
        list.scrollTop = top - list.clientHeight / 3;
      }
    }

    function mark() {
      var t = player.currentTime;
      spans.forEach(function (item) {
        var on = item.start <= t && t < item.end;
        if (on === item.li.classList.contains("current")) { return; }
        item.li.classList.toggle("current", on);
        if (on) { item.li.setAttribute("aria-current", "true"); keepVisible(item); }
        else { item.li.removeAttribute("aria-current"); }
      });
    }

    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) { player.addEventListener(name, mark); });
  }

  function setupJob() {
    var box = document.querySelector("[data-job]");
    if (!box) { return; }
    var id = box.getAttribute("data-job");
    var status = box.querySelector("[data-job-status]");
    var bar = box.querySelector("[data-job-progress]");
    var error = box.querySelector("[data-job-error]");
    var done = box.querySelector("[data-job-done]");
    var link = box.querySelector("[data-job-link]");

    function poll() {
      fetch("/jobs/" + encodeURIComponent(id) + "/status", {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) { return; }
          status.textContent = job.status;
          status.className = "status status-" + job.status;
          bar.value = job.done ? 100 : job.progress;
          if (job.error) { error.textContent = job.error; error.hidden = false; }
          if (job.done) {
            if (job.media_url) { link.href = job.media_url; done.hidden = false; }
            return;
          }
          window.setTimeout(poll, 500);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    if (status.textContent !== "succeeded" && status.textContent !== "failed") { poll(); }
  }

  setupPlayer();
  setupJob();
}());
