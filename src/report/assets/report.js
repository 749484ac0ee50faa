(function () {
  var opened = [];
  addEventListener('beforeprint', function () {
    opened = Array.prototype.filter.call(document.querySelectorAll('details.case'), function (d) {
      return !d.open && (d.open = true);
    });
  });
  addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
