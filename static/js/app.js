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
