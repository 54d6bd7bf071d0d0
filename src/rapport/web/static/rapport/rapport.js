// Small behaviours of every page, kept out of the HTML so the Content-Security-Policy allows no inline script.
document.addEventListener("change", function (event) {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.autosubmit !== undefined && target.form) {
    target.form.submit();
  }
});
