// The book's navigation shim (see _ext/book_site.py). pydata-sphinx-theme 0.17.1 and sphinx-book-theme
// 1.3.0 attach the sidebar handlers to the FIRST .primary-toggle / .secondary-toggle only, the hidden
// one in the top header; the visible buttons in the article header then do nothing. Forward their
// clicks to the first one. Delete this file once the themes bind every toggle.
document.addEventListener("DOMContentLoaded", function () {
  [".primary-toggle", ".secondary-toggle"].forEach(function (selector) {
    var buttons = Array.prototype.slice.call(document.querySelectorAll(selector));
    buttons.slice(1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopImmediatePropagation();
        buttons[0].click();
      }, true);
    });
  });
});
