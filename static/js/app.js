// Pressroom shell behaviour. No inline scripts anywhere: the CSP forbids them.
"use strict";
document.addEventListener("submit", function (event) {
  // Buttons with data-confirm ask before a destructive POST.
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Live character counts on the post editor (X counts every link as 23 characters).
(function () {
  var caption = document.getElementById("caption");
  var out = document.querySelector("[data-counter-for='caption']");
  if (!caption || !out) { return; }
  function xLength(text) { return text.replace(/https?:\/\/\S+/g, "x".repeat(23)).length; }
  function update() {
    var text = caption.value;
    out.textContent = "X " + xLength(text) + "/280 · Instagram " + text.length + "/2200 · Telegram " +
      text.length + "/1024";
  }
  caption.addEventListener("input", update);
  update();
})();
