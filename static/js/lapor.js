// Lapor Gub's report form, progressively enhanced: the form works without this file.
// It adds a character counter, the phone's location (hidden latitude/longitude) and photos made
// smaller in the browser (at most `data-side` pixels, JPEG) before a slow upload.
"use strict";
(function () {
  var form = document.querySelector("[data-lapor-form]");
  if (!form) { return; }
  var submit = form.querySelector("[data-submit]");

  // Character counter: as the server counts (line breaks as one, surrounding spaces trimmed).
  var counter = form.querySelector("[data-counter-for]");
  var text = counter && document.getElementById(counter.getAttribute("data-counter-for"));
  if (counter && text) {
    var max = Number(counter.getAttribute("data-max"));
    var numbers = new Intl.NumberFormat(document.documentElement.lang || "id");
    var template = counter.getAttribute("data-text") || "%(n)s / %(max)s";
    var update = function () {
      var used = Array.from(text.value.replace(/\r\n/g, "\n").trim()).length;
      counter.textContent = template.replace("%(n)s", numbers.format(used)).replace("%(max)s", numbers.format(max));
      counter.classList.toggle("over", used > max);
    };
    counter.hidden = false;
    text.addEventListener("input", update);
    update();
  }

  // "Use my location": fills the hidden fields; the public never sees the point.
  var geo = form.querySelector("[data-geo]");
  if (geo && navigator.geolocation && window.isSecureContext) {
    var lat = form.querySelector("[data-geo-lat]");
    var lon = form.querySelector("[data-geo-lon]");
    var status = geo.querySelector("[data-geo-status]");
    var use = geo.querySelector("[data-geo-use]");
    var clear = geo.querySelector("[data-geo-clear]");
    var say = function (key) { status.textContent = status.getAttribute("data-text-" + key) || ""; };
    geo.hidden = false;
    clear.hidden = !(lat.value && lon.value);
    use.addEventListener("click", function () {
      say("asking");
      use.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        use.disabled = false;
        clear.hidden = false;
        say("added");
      }, function () {
        use.disabled = false;
        say("failed");
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
    clear.addEventListener("click", function () {
      lat.value = "";
      lon.value = "";
      clear.hidden = true;
      say("removed");
    });
  }

  // Photos: shrunk with a canvas where the browser can (it must apply the EXIF orientation when
  // drawing, and let a script replace the chosen files); otherwise the files go as chosen.
  var input = form.querySelector("input[type=file][data-side]");
  var photoStatus = form.querySelector("[data-photo-status]");
  var canShrink = (function () {
    try {
      return Boolean(input && window.DataTransfer && new window.DataTransfer() &&
        HTMLCanvasElement.prototype.toBlob && window.CSS && CSS.supports("image-orientation", "from-image"));
    } catch (e) {
      return false;
    }
  }());
  if (!input) { return; }
  var side = Number(input.getAttribute("data-side")) || 1600;
  var most = Number(input.getAttribute("data-max")) || 5;
  var tell = function (key) { photoStatus.textContent = key ? photoStatus.getAttribute("data-text-" + key) : ""; };

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp|bmp)$/.test(file.type)) { resolve(file); return; }
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () {
        var scale = Math.min(1, side / Math.max(image.naturalWidth, image.naturalHeight));
        if (scale === 1 && file.size < 600 * 1024) { URL.revokeObjectURL(url); resolve(file); return; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.naturalWidth * scale);
        canvas.height = Math.round(image.naturalHeight * scale);
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";  // transparent PNG areas become white, not black
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = (file.name || "foto").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", 0.85);
      };
      image.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      image.src = url;
    });
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    var tooMany = files.length > most;
    if (!canShrink) {
      if (tooMany) { tell("too-many"); }
      return;
    }
    files = files.slice(0, most);
    tell("working");
    if (submit) { submit.disabled = true; }
    files.reduce(function (done, file) {
      return done.then(function (list) { return shrink(file).then(function (small) { return list.concat([small]); }); });
    }, Promise.resolve([])).then(function (list) {
      var transfer = new window.DataTransfer();
      list.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      tell(tooMany ? "too-many" : (list.length ? "done" : ""));
    }).catch(function () {
      tell("");
    }).then(function () {
      if (submit) { submit.disabled = false; }
    });
  });
}());
