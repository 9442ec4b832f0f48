/* Opening-hours editor: rows per day → OpenStreetMap opening_hours text. Consecutive days
   with the same hours become one range (Mo-Fr 06:00-22:00); "closed on public holidays"
   adds "PH off". The text field stays the source of truth (and works without this file);
   htmx shows the server's Vietnamese rendering or the error with its position. */
(function () {
  "use strict";
  var DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

  function rowHours(row) {
    if (!row.querySelector(".h-open").checked) { return null; }
    var spans = [];
    [["h-from1", "h-to1"], ["h-from2", "h-to2"]].forEach(function (pair) {
      var from = row.querySelector("." + pair[0]).value;
      var to = row.querySelector("." + pair[1]).value;
      if (from && to) { spans.push(from + "-" + to); }
    });
    return spans.length ? spans.join(",") : "00:00-24:00";
  }

  function build(editor) {
    var rows = Array.prototype.slice.call(editor.querySelectorAll(".hours-row"));
    var values = rows.map(rowHours);
    var rules = [];
    var i = 0;
    while (i < 7) {
      if (values[i] === null) { i += 1; continue; }
      var j = i;
      while (j + 1 < 7 && values[j + 1] === values[i]) { j += 1; }
      var days = i === j ? DAYS[i] : (j === i + 1 ? DAYS[i] + "," + DAYS[j] : DAYS[i] + "-" + DAYS[j]);
      rules.push(days + " " + values[i]);
      i = j + 1;
    }
    if (editor.querySelector(".h-ph-off").checked) { rules.push("PH off"); }
    return rules.join("; ");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var editor = document.querySelector(".hours-editor");
    if (!editor) { return; }
    var input = editor.querySelector("[name=opening_hours]");
    editor.querySelectorAll(".hours-row input, .h-ph-off").forEach(function (field) {
      field.addEventListener("change", function () {
        var text = build(editor);
        if (text) {
          input.value = text;
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
  });
})();
