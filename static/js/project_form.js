// The new-project form: the suggested markup under "Quote from" follows the client picked in the list.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[data-markup-client]");
  const hint = document.querySelector("[data-markup-hint]");
  if (!select || !hint) return;
  const markups = JSON.parse(hint.dataset.markups);
  const update = () => {
    const option = select.selectedOptions[0];
    const level = option ? option.dataset.difficulty : undefined;
    const markup = level === undefined ? 0 : markups[Number(level)];
    if (!markup) {
      hint.textContent = "";
      return;
    }
    // The name goes in as text, never as HTML.
    hint.textContent = hint.dataset.template
      .replace("%(client)s", option.textContent.trim())
      .replace("%(level)s", level)
      .replace("%(markup)s", markup)
      .replace("%%", "%");
  };
  select.addEventListener("change", update);
  update();
});
