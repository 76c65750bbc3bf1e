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

// The post editor: live character counts and a preview per target platform, counted as the
// server counts them (services/posts.platform_problems): characters are code points; X counts
// every link as 23 and a character outside its "light" ranges (emoji, CJK) as 2; Instagram
// allows 30 hashtags. A browser sends a textarea's line breaks as CR LF and the server stores
// them so, so each counts as two here too.
(function () {
  var caption = document.getElementById("caption");
  if (!caption) { return; }
  var preview = document.querySelector("[data-preview]");
  var summary = document.querySelector("[data-counter-for='caption']");
  var accounts = document.getElementById("account_ids");
  var panes = preview ? Array.prototype.slice.call(preview.querySelectorAll("[data-pane]")) : [];
  var LINK = /https?:\/\/\S+/gu;
  var HASHTAG = /(?<![\p{L}\p{N}_])#[\p{L}\p{N}_]+/gu;
  var numbers = new Intl.NumberFormat(document.documentElement.lang || "id");

  function asSent(text) { return text.trim().replace(/\r?\n/g, "\r\n"); }

  function ranges(attribute) {
    return (attribute || "").split(" ").filter(Boolean).map(function (pair) {
      return pair.split("-").map(Number);
    });
  }

  function weight(code, light) {
    if (!light.length) { return 1; }
    for (var r = 0; r < light.length; r += 1) {
      if (code >= light[r][0] && code <= light[r][1]) { return 1; }
    }
    return 2;
  }

  // The length as counted, and where the text first goes over `limit` (-1 if it never does).
  function measure(text, limit, linkLength, light) {
    var links = [], match, used = 0, cut = -1, i = 0, next = 0;
    if (linkLength) {
      LINK.lastIndex = 0;
      while ((match = LINK.exec(text)) !== null) { links.push([match.index, match.index + match[0].length]); }
    }
    while (i < text.length) {
      var link = links[next], end, size;
      if (link && link[0] === i) { end = link[1]; size = linkLength; next += 1; }
      else { var code = text.codePointAt(i); end = i + (code > 0xffff ? 2 : 1); size = weight(code, light); }
      if (cut < 0 && used + size > limit) { cut = i; }
      used += size;
      i = end;
    }
    return { length: used, cut: cut };
  }

  function textFor(pane) {
    var variant = document.getElementById(pane.getAttribute("data-variant") || "-");
    return asSent(variant && variant.value.trim() ? variant.value : caption.value);
  }

  function chosen() {
    var byPlatform = {};
    if (!accounts) { return byPlatform; }
    Array.prototype.forEach.call(accounts.selectedOptions, function (option) {
      var platform = option.getAttribute("data-platform");
      (byPlatform[platform] = byPlatform[platform] || []).push(option.getAttribute("data-name"));
    });
    return byPlatform;
  }

  function render(pane, names) {
    var text = textFor(pane);
    var limit = Number(pane.getAttribute("data-limit"));
    var result = measure(text, limit, Number(pane.getAttribute("data-url-length")) || 0,
      ranges(pane.getAttribute("data-light")));
    var hashtagLimit = Number(pane.getAttribute("data-hashtags")) || 0;
    var hashtags = hashtagLimit ? (text.match(HASHTAG) || []).length : 0;
    var count = numbers.format(result.length) + "/" + numbers.format(limit);
    if (hashtagLimit) { count += " · # " + hashtags + "/" + hashtagLimit; }
    var out = pane.querySelector("[data-text]");
    out.textContent = result.cut < 0 ? text : text.slice(0, result.cut);
    if (result.cut >= 0) {
      var over = document.createElement("mark");
      over.className = "overflow";
      over.textContent = text.slice(result.cut);
      out.appendChild(over);
    }
    pane.querySelector("[data-count]").textContent = count;
    pane.querySelector("[data-accounts]").textContent = names ? names.join(", ") : "";
    var tooLong = result.cut >= 0, tooManyTags = hashtags > hashtagLimit;
    pane.querySelector("[data-flag='length']").hidden = !tooLong;
    var tagFlag = pane.querySelector("[data-flag='hashtags']");
    if (tagFlag) { tagFlag.hidden = !tooManyTags; }
    pane.classList.toggle("is-over", tooLong || tooManyTags);
    return pane.querySelector(".preview-head strong").textContent + " " + count;
  }

  function update() {
    var byPlatform = chosen();
    var any = Object.keys(byPlatform).length > 0;
    var counts = [];
    panes.forEach(function (pane) {
      var names = byPlatform[pane.getAttribute("data-pane")];
      pane.hidden = !names;
      if (names || !any) { counts.push(render(pane, names)); }
    });
    if (preview) {
      preview.hidden = false;
      preview.querySelector("[data-preview-empty]").hidden = any;
    }
    if (summary) { summary.textContent = counts.join(" · "); }
  }

  document.addEventListener("input", function (event) {
    if (event.target.form === caption.form) { update(); }
  });
  if (accounts) { accounts.addEventListener("change", update); }
  update();
})();
