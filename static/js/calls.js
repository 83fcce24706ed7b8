// Booking a call: changing the call length reloads the free times, keeping what was typed.
document.addEventListener("DOMContentLoaded", () => {
  const lengthForm = document.querySelector("[data-call-length]");
  const booking = document.querySelector("[data-call-booking]");
  if (!lengthForm || !booking) return;
  const carryOver = () => {
    for (const name of ["topic", "project"]) {
      const source = booking.elements.namedItem(name);
      const target = lengthForm.elements.namedItem(name);
      if (source && target) target.value = source.value;
    }
  };
  lengthForm.addEventListener("submit", carryOver);
  const length = lengthForm.elements.namedItem("duration");
  if (length) length.addEventListener("change", () => lengthForm.requestSubmit());
});
