/* Rencai web client: small progressive enhancements. Every page works without this file;
   it adds the SMS countdown, add/remove rows, conditional fields, checks a file before it is
   sent, and the photo crop island. No inline script anywhere (CSP script-src 'self'). */
(function () {
  "use strict";

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  /* 获取验证码: 60 s before the next code can be asked for. */
  function countdown(button) {
    var left = parseInt(button.getAttribute("data-countdown"), 10) || 60;
    var label = button.textContent;
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.removeAttribute("aria-disabled");
        button.textContent = label;
        return;
      }
      button.textContent = left + " 秒后重新获取";
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  /* Arrays of objects: 添加 copies the blank row, 删除此项 removes one. */
  function setupRepeat(box) {
    var rows = box.querySelector(".repeat-rows");
    var template = box.querySelector("template.repeat-template");
    var add = box.querySelector(".repeat-add");
    if (!rows || !template || !add) return;
    var path = box.getAttribute("data-repeat");
    function renumber() {
      each(rows, ":scope > .repeat-row .row-number", function (el, i) { el.textContent = String(i + 1); });
    }
    function wire(row) {
      var remove = row.querySelector(".repeat-remove");
      if (remove) {
        remove.hidden = false;
        remove.addEventListener("click", function () {
          row.remove();
          renumber();
          add.focus();
        });
      }
      setupConditions(row);
    }
    each(rows, ":scope > .repeat-row", wire);
    add.hidden = false;
    var next = rows.children.length;
    add.addEventListener("click", function () {
      var html = template.innerHTML.split(path + ".__index__").join(path + "." + next)
        .split(("f-" + path + ".__index__").replace(/\./g, "-")).join(("f-" + path + "." + next).replace(/\./g, "-"));
      next += 1;
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      wire(row);
      renumber();
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }

  /* if/then/else: a field shown (or required) only for some values of another. */
  function currentValue(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "radio") { if (el.checked) return el.value; continue; }
      if (el.type === "checkbox") return el.checked ? "true" : "false";
      return el.value;
    }
    return "";
  }
  function holds(form, rule) {
    var value = currentValue(form, rule.field);
    var inside = rule.values.map(String).indexOf(value) !== -1;
    return rule.negate ? !inside : inside;
  }
  function setupConditions(root) {
    var form = root.closest ? (root.closest("form") || root) : root;
    function apply() {
      each(form, "[data-show-if]", function (el) {
        el.hidden = !holds(form, JSON.parse(el.getAttribute("data-show-if")));
      });
      each(form, "[data-required-if]", function (el) {
        el.classList.toggle("is-required", holds(form, JSON.parse(el.getAttribute("data-required-if"))));
      });
    }
    if (!form.__conditions) {
      form.__conditions = true;
      form.addEventListener("change", apply);
    }
    apply();
  }

  /* A file's type and size are checked before it is sent. */
  function checkFile(input) {
    var file = input.files && input.files[0];
    var box = input.closest(".field, .upload-new, form");
    var old = box && box.querySelector(".js-file-error");
    if (old) old.remove();
    if (!file) return;
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var accept = (input.getAttribute("accept") || "").split(",").map(function (s) { return s.trim().toLowerCase(); });
    var ext = "." + file.name.split(".").pop().toLowerCase();
    var problem = null;
    if (accept[0] && accept.indexOf(ext) === -1) problem = "不支持该文件格式，请上传 " + accept.join("、") + " 文件";
    else if (max && file.size > max) problem = "文件不能超过 " + Math.round(max / 1048576) + " MB";
    if (problem) {
      var p = document.createElement("p");
      p.className = "error-message js-file-error";
      p.setAttribute("role", "alert");
      p.textContent = problem;
      input.insertAdjacentElement("beforebegin", p);
      input.value = "";
    }
  }

  /* 裁切照片 (cropperjs): the chosen rectangle goes with the form as x, y, width, height. */
  function setupCrop(img) {
    if (typeof window.Cropper !== "function") return;
    var form = img.closest("form");
    var ratio = parseFloat(img.getAttribute("data-ratio")) || 295 / 413;
    var cropper = new window.Cropper(img, {
      aspectRatio: ratio, viewMode: 1, autoCropArea: 0.9, movable: false, zoomable: false,
      ready: function () { img.setAttribute("data-crop-ready", "true"); }
    });
    // cropperjs restores the box after a window resize in proportion to the old one; a resize
    // through a moment of zero size (a phone turning, a screenshot) would leave it empty for
    // good, so an empty box is laid out afresh once the resize has settled.
    window.addEventListener("resize", function () {
      window.setTimeout(function () {
        var d = cropper.getData(true);
        if (img.getAttribute("data-crop-ready") && !(d.width >= 20 && d.height >= 20)) {
          cropper.reset();
        }
      }, 200);
    });
    form.addEventListener("submit", function () {
      var d = cropper.getData(true);
      // Mid-layout (a resize) the box can read as empty: then the server's centred box stays.
      if (!(d.width >= 20 && d.height >= 20)) return;
      ["x", "y", "width", "height"].forEach(function (k) {
        var input = form.querySelector('input[name="' + k + '"]');
        if (input) input.value = String(Math.max(0, d[k]));
      });
    });
  }

  function init(root) {
    each(root, "[data-countdown]", countdown);
    each(root, "[data-repeat]", setupRepeat);
    each(root, "form", setupConditions);
    each(root, "input[type=file][data-max-bytes]", function (input) {
      input.addEventListener("change", function () { checkFile(input); });
    });
    each(root, "img[data-crop]", setupCrop);
    each(root, "[data-autofocus-error]", function (el) { el.focus(); });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    init(event.detail.elt);
  });
})();
