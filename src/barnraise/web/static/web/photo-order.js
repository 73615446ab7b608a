/* The listing wizard's photos: drag a row by its handle (mouse, pen or finger: pointer events)
 * to move it; on release the new order is posted with the form's hidden "order" input. Without
 * this script the Up, Down and "Make cover" buttons do the same, one move at a time.
 */
(function () {
  "use strict";

  function orderOf(list) {
    return Array.prototype.map.call(list.querySelectorAll("[data-photo-id]"), function (row) {
      return row.dataset.photoId;
    });
  }

  function rowAt(list, y, dragged) {
    var rows = list.querySelectorAll("[data-photo-id]");
    for (var i = 0; i < rows.length; i += 1) {
      var box = rows[i].getBoundingClientRect();
      if (rows[i] !== dragged && y >= box.top && y <= box.bottom) return { row: rows[i], box: box };
    }
    return null;
  }

  function setUp(form) {
    var list = form.querySelector("[data-photo-list]");
    var input = form.querySelector("[data-photo-order]");
    if (!list || !input) return;
    document.documentElement.classList.add("js");
    form.querySelectorAll("[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
    var dragged = null;
    var before = "";

    list.addEventListener("pointerdown", function (event) {
      var handle = event.target.closest("[data-drag-handle]");
      if (!handle) return;
      event.preventDefault();
      dragged = handle.closest("[data-photo-id]");
      before = orderOf(list).join(",");
      dragged.classList.add("dragging");
      handle.setPointerCapture(event.pointerId);
    });

    list.addEventListener("pointermove", function (event) {
      if (!dragged) return;
      var over = rowAt(list, event.clientY, dragged);
      if (!over) return;
      var after = event.clientY > over.box.top + over.box.height / 2;
      list.insertBefore(dragged, after ? over.row.nextSibling : over.row);
    });

    function drop() {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      var now = orderOf(list).join(",");
      if (now === before) return;
      input.value = now;
      form.requestSubmit();
    }
    list.addEventListener("pointerup", drop);
    list.addEventListener("pointercancel", drop);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("photo-order-form");
    if (form) setUp(form);
  });
})();
