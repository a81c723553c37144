// The ticket's Print button: shown only where JavaScript can open the print dialog.
document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
});
