// A proposal in the portal: ticking an add-on shows the sums for that choice. The server wrote the
// sums of every choice (#proposal-choices); nothing is added up here, and the server works the
// total out again when the proposal is accepted.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-proposal]");
  const data = document.getElementById("proposal-choices");
  if (!form || !data) return;
  const choices = JSON.parse(data.textContent);
  const addons = form.querySelectorAll("[data-addon]");
  const shownTotal = form.querySelector("[data-shown-total]");
  const update = () => {
    const key = Array.from(addons)
      .filter((box) => box.checked)
      .map((box) => Number(box.value))
      .sort((a, b) => a - b)
      .join(",");
    const sums = choices[key];
    if (!sums) return;
    for (const name of ["subtotal", "tax", "total", "deposit"]) {
      for (const element of document.querySelectorAll(`[data-sum="${name}"]`)) element.textContent = sums[name];
    }
    if (shownTotal) shownTotal.value = sums.total_minor;
  };
  for (const box of addons) box.addEventListener("change", update);
});
