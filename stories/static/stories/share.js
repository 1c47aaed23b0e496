// Read-along on the shared story page: as the narration plays, the word being spoken is
// highlighted and marked aria-current="true" (one word at a time), from the moments the page
// carries on each word (data-start, data-end: the story's word timings). Seeking moves the
// highlight; tapping a word plays from it. Without this script the page still reads and plays.
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("story");
    var audio = document.getElementById("narration");
    if (!root || !audio || root.getAttribute("data-read-along") !== "on") {
      return;
    }
    var words = Array.prototype.slice.call(root.querySelectorAll(".w[data-start]"));
    var starts = words.map(function (word) {
      return parseFloat(word.getAttribute("data-start"));
    });
    var current = null;
    var frame = 0;

    // The word being spoken at `time`: the last one that has started (a pause between two
    // words keeps the one just said); none before the first word.
    function wordAt(time) {
      var low = 0;
      var high = starts.length - 1;
      var found = -1;
      while (low <= high) {
        var middle = (low + high) >> 1;
        if (starts[middle] <= time) {
          found = middle;
          low = middle + 1;
        } else {
          high = middle - 1;
        }
      }
      return found < 0 ? null : words[found];
    }

    function mark(word) {
      if (word === current) {
        return;
      }
      if (current) {
        current.removeAttribute("aria-current");
      }
      current = word;
      if (!word) {
        return;
      }
      word.setAttribute("aria-current", "true");
      if (!audio.paused) {
        var box = word.getBoundingClientRect();
        if (box.top < 80 || box.bottom > window.innerHeight - 40) {
          word.scrollIntoView({ block: "center", behavior: "smooth" });
        }
      }
    }

    function follow() {
      mark(wordAt(audio.currentTime));
    }

    function tick() {
      follow();
      frame = audio.paused ? 0 : window.requestAnimationFrame(tick);
    }

    audio.addEventListener("timeupdate", follow);
    audio.addEventListener("seeking", follow);
    audio.addEventListener("seeked", follow);
    audio.addEventListener("play", function () {
      if (!frame) {
        frame = window.requestAnimationFrame(tick);
      }
    });
    audio.addEventListener("ended", function () {
      mark(null);
    });

    root.addEventListener("click", function (event) {
      var word = event.target.closest ? event.target.closest(".w[data-start]") : null;
      if (!word) {
        return;
      }
      audio.currentTime = parseFloat(word.getAttribute("data-start"));
      follow();
      var playing = audio.play();
      if (playing && playing.catch) {
        playing.catch(function () {});
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
