// The show page's forms know each performance's limit of seats per booking before they are
// sent. Each performance's radio carries it (data-max-seats) and, in the booking form, the
// sentence to show under the seats field (data-seats-hint). Choosing a performance sets the
// booking form's `max` and hint, and the group request's `min` (one above the limit). Without
// JavaScript the server has rendered the chosen performance's limit, or the range of them.
document.querySelectorAll("form").forEach((form) => {
    const seats = form.querySelector("input[data-seats]");
    if (!seats || !form.querySelector("input[type=radio][data-max-seats]")) {
        return;
    }
    const hint = form.querySelector("[data-limit-hint]");
    const follow = (radio) => {
        const limit = Number(radio.dataset.maxSeats);
        if (!limit) {
            return;
        }
        if (seats.dataset.seats === "above") {
            seats.min = String(limit + 1);
            return;
        }
        seats.max = String(limit);
        if (hint && radio.dataset.seatsHint) {
            hint.textContent = radio.dataset.seatsHint;
        }
    };
    form.addEventListener("change", (event) => {
        if (event.target.matches("input[type=radio][data-max-seats]")) {
            follow(event.target);
        }
    });
    const checked = form.querySelector("input[type=radio][data-max-seats]:checked");
    if (checked) {
        follow(checked);
    }
});

// "More people? Send a group request" opens the group request where it leads.
const groupRequest = document.getElementById("group-request");
if (groupRequest) {
    const openGroupRequest = () => {
        if (window.location.hash === "#group-request") {
            groupRequest.open = true;
        }
    };
    document.querySelectorAll('a[href="#group-request"]').forEach((link) => {
        link.addEventListener("click", () => {
            groupRequest.open = true;
        });
    });
    window.addEventListener("hashchange", openGroupRequest);
    openGroupRequest();
}
