// 好差评 forms: the reasons of a bad review are shown only once 不满意 or 非常不满意 is picked
// (and left out of the post otherwise). Without this script they are always shown, with the
// hint that they are required for a bad review; the server checks either way.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-review-form]").forEach(function (form) {
    var reasons = form.querySelector("[data-review-reasons]");
    if (!reasons) { return; }
    function update() {
      var picked = form.querySelector("input[name=level]:checked");
      var bad = picked !== null && picked.hasAttribute("data-bad");
      reasons.hidden = !bad;
      reasons.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.disabled = !bad; });
    }
    form.querySelectorAll("input[name=level]").forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
});
