// The door view: scan (camera, handheld scanner or keyboard), preview, check in.
// Talks to the JSON endpoints of checkin/views.py; decodes QR codes with the browser's own
// BarcodeDetector where there is one, else with the vendored jsQR. Without a network it
// decides on the device, from the door list door_offline.js keeps, and queues its check-ins
// until the network is back (docs/booking-flow.md, "The door offline").
(() => {
    "use strict";

    const door = document.querySelector("[data-door]");
    if (!door || !door.dataset.performance) {
        return;
    }
    const text = door.dataset;
    const csrfToken = door.querySelector("[name=csrfmiddlewaretoken]").value;
    const performance = Number(text.performance);
    const $ = (selector) => door.querySelector(selector);

    const codeForm = $("[data-code-form]");
    const codeInput = $("#door-code");
    const result = $("[data-result]");
    const message = $("[data-message]");
    const details = $("[data-details]");
    const admit = $("[data-admit]");
    const undoForm = $("[data-undo-form]");
    const video = $("[data-camera]");
    const cameraToggle = $("[data-camera-toggle]");
    const cameraStatus = $("[data-camera-status]");

    const offlineBadge = $("[data-offline-badge]");
    const network = $("[data-network]");
    const doorNameInput = $("[data-door-name]");
    const store = window.DoorOffline;

    // What the result panel is about: {code} or {reservation}, and the reservation's id; or,
    // decided offline, the party to admit.
    let current = null;
    let currentReservation = null;
    let currentOffline = null;
    let busy = false;
    // Offline: no network, or the last request got no answer. Online again at the browser's
    // "online" event or the next answer.
    let offline = !navigator.onLine;
    // Parties this page has seen (opened with their ticket or from the guest list), by id:
    // the offline lookup's only source. In memory: gone when the page is closed.
    const known = new Map();

    const fill = (template, values) =>
        template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
    const localTime = (iso) =>
        new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, {
            hour: "2-digit",
            minute: "2-digit",
            hourCycle: "h23",
            // The theatre's clock (the staff's admin time zone), whatever the phone's says.
            timeZone: text.timeZone || undefined,
        });

    // A request that got no answer from the application (no network, the server unreachable
    // or down behind nginx), as opposed to an answer that says no, or a bug: only the first
    // sends the door offline.
    const noAnswer = (error) => error.noAnswer === true;

    // What nginx answers when the application behind it is down or overloaded: no answer
    // from the server that decides, as good as no network.
    const GATEWAY_FAILURES = [502, 503, 504];

    async function send(url, options) {
        let response;
        try {
            response = await fetch(url, options);
        } catch (error) {
            response = null;
        }
        if (!response || GATEWAY_FAILURES.includes(response.status)) {
            throw Object.assign(new Error("no answer"), { noAnswer: true });
        }
        return response;
    }

    // Every request is so marked: Wagtail answers a refused admin request so marked with 403,
    // not a login page.
    const AS_DOOR = { "X-Requested-With": "XMLHttpRequest" };

    async function get(url) {
        return send(url, { credentials: "same-origin", headers: AS_DOOR });
    }

    async function post(url, body) {
        const response = await send(url, {
            method: "POST",
            credentials: "same-origin",
            headers: { ...AS_DOOR, "Content-Type": "application/json", "X-CSRFToken": csrfToken },
            body: JSON.stringify(body),
        });
        goOnline();
        if (!response.ok) {
            const error = new Error(`HTTP ${response.status}`);
            error.status = response.status;
            try {
                error.message = (await response.json()).message || "";
            } catch (parseError) {
                error.message = "";
            }
            throw error;
        }
        return response.json();
    }

    function cue(good) {
        if (navigator.vibrate) {
            navigator.vibrate(good ? 80 : [200, 100, 200]);
        }
        try {
            const audio = new (window.AudioContext || window.webkitAudioContext)();
            const tone = audio.createOscillator();
            tone.frequency.value = good ? 880 : 220;
            tone.connect(audio.destination);
            tone.start();
            tone.stop(audio.currentTime + (good ? 0.12 : 0.35));
        } catch (error) {
            // No sound on this device: the colour and the words are enough.
        }
    }

    function updateSeatCounts(counts) {
        if (counts) {
            $("[data-checked-in-seats]").textContent = counts.checked_in_seats;
            $("[data-confirmed-seats]").textContent = counts.confirmed_seats;
        }
    }

    function showResult(state, isOffline) {
        result.hidden = false;
        result.dataset.state = state;
        result.toggleAttribute("data-offline", isOffline);
        offlineBadge.hidden = !isOffline;
    }

    function show(data) {
        currentOffline = null;
        showResult(data.state, false);
        message.textContent = data.message;
        const reservation = data.reservation || {};
        details.textContent = [reservation.show, reservation.reference].filter(Boolean).join(" · ");
        currentReservation = reservation.id || null;
        admit.hidden = !data.admit;
        if (data.admit) {
            admit.textContent = reservation.action;
        }
        if (undoForm) {
            undoForm.hidden = !["checked_in", "already_checked_in"].includes(data.state);
        }
        updateSeatCounts(data.seat_counts);
        cue(data.state === "valid" || data.state === "checked_in");
    }

    function showError(error) {
        currentOffline = null;
        showResult("error", false);
        // The server's own words when it gave a reason, or the door's own sentence ({message});
        // otherwise what the status means. Never a script error's words.
        const said = error && error.message && !error.message.startsWith("HTTP");
        if (said && (error.status || !(error instanceof Error))) {
            message.textContent = error.message;
        } else if (error && (error.status === 403 || error.status === 401)) {
            message.textContent = text.sessionMessage;
        } else {
            message.textContent = text.errorMessage;
        }
        details.textContent = "";
        admit.hidden = true;
        cue(false);
    }

    // The party of a ticket (request {code}) or of a looked-up party ({reservation}) on the
    // door list; null when the list does not have them.
    async function findOffline(request) {
        let party = null;
        if (request.code) {
            try {
                party = await store.find(performance, request.code);
            } catch (error) {
                party = null; // a box that does not open with this code: not this ticket
            }
        } else {
            party = known.get(request.reservation) || null;
        }
        if (party) {
            known.set(party.id, party);
        }
        return party;
    }

    // The offline decision on a ticket or a looked-up party.
    async function checkOffline(request) {
        if (!store.list(performance)) {
            showError({ message: text.statusNoList });
            return;
        }
        showDecision(store.decide(performance, await findOffline(request)));
    }

    // A check-in that got no answer: the server may have made it or not. The door decides
    // offline, and a party the list admits is admitted under the check-in's own nonce, so
    // that if the server did make it, it takes the queued admission for the same one.
    async function checkInAfterDrop(request, nonce) {
        const party = store.list(performance) ? await findOffline(request) : null;
        if (!party) {
            showError({ message: text.connectionDropped });
            return;
        }
        const decision = store.decide(performance, party);
        if (decision.state === "valid") {
            admitOffline(party, nonce);
        } else {
            showDecision(decision);
        }
    }

    function showDecision(decision) {
        const party = decision.party || {};
        const messages = {
            valid: party.message,
            cancelled: text.cancelled,
            not_on_list: text.notOnList,
            admitted_here: decision.at && fill(text.admittedHere, { time: localTime(decision.at) }),
            already_checked_in: decision.at && fill(text.alreadyCheckedIn, {
                time: localTime(decision.at),
                user: [party.checked_in_by, party.door].filter(Boolean).join(" · "),
            }),
        };
        const state = {
            not_on_list: "unknown",
            admitted_here: "already_checked_in",
        }[decision.state] || decision.state;
        showResult(state, true);
        message.textContent = messages[decision.state];
        details.textContent = party.reference || "";
        currentReservation = null;
        currentOffline = decision.state === "valid" ? party : null;
        admit.hidden = !currentOffline;
        if (currentOffline) {
            admit.textContent = party.action;
        }
        if (undoForm) {
            undoForm.hidden = true;
        }
        cue(decision.state === "valid");
    }

    function admitOffline(party, nonce) {
        store.admit(performance, party, { nonce });
        showResult("checked_in", true);
        message.textContent = party.admitted;
        admit.hidden = true;
        currentOffline = null;
        cue(true);
        showNetworkStatus();
        if (!offline) {
            sendQueue();
        }
    }

    async function check(request) {
        if (busy) {
            return;
        }
        busy = true;
        current = request;
        try {
            if (offline) {
                await checkOffline(request);
            } else {
                show(await post(text.previewUrl, { performance, ...request }));
            }
        } catch (error) {
            if (noAnswer(error)) {
                goOffline();
                await checkOffline(request);
            } else {
                showError(error);
            }
        } finally {
            busy = false;
            codeInput.value = "";
            codeInput.focus();
        }
    }

    codeForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const code = codeInput.value.trim();
        if (code) {
            check({ code });
        }
    });

    admit.addEventListener("click", async () => {
        if (busy || !current) {
            return;
        }
        if (currentOffline) {
            admitOffline(currentOffline);
            codeInput.focus();
            return;
        }
        busy = true;
        admit.disabled = true;
        // This admission's id, kept if it has to be queued (checkInAfterDrop).
        const nonce = crypto.randomUUID();
        try {
            show(await post(text.checkInUrl, {
                performance, door: store.doorName(), nonce, ...current,
            }));
        } catch (error) {
            if (noAnswer(error)) {
                goOffline();
                await checkInAfterDrop(current, nonce);
            } else {
                showError(error);
            }
        } finally {
            busy = false;
            admit.disabled = false;
            codeInput.focus();
        }
    });

    if (undoForm) {
        undoForm.addEventListener("submit", async (event) => {
            event.preventDefault();
            const reason = undoForm.elements.reason.value.trim();
            if (!reason || !currentReservation) {
                return;
            }
            try {
                const data = await post(text.undoUrl, { reservation: currentReservation, reason });
                undoForm.hidden = true;
                undoForm.reset();
                message.textContent = data.message;
                result.dataset.state = "pending";
                updateSeatCounts(data.seat_counts);
            } catch (error) {
                showError(error);
            }
        });
    }

    // Choosing another performance reloads the page for it.
    const performanceSelect = $("#door-performance");
    performanceSelect.addEventListener("change", () => performanceSelect.form.submit());

    // Lookup without a ticket.
    const searchInput = $("#door-search");
    const searchResults = $("[data-search-results]");
    let searchTimer = null;
    $("[data-search-form]").addEventListener("submit", (event) => event.preventDefault());
    // Offline, a lookup searches the parties this page knows.
    function searchKnown(query) {
        const wanted = query.toLocaleLowerCase();
        const admittedHere = store.admittedHere(performance);
        return Array.from(known.values())
            .filter((party) => party.status === "confirmed")
            .filter((party) => party.name.toLocaleLowerCase().includes(wanted) ||
                party.reference.toLowerCase() === wanted)
            .sort((a, b) => a.name.localeCompare(b.name))
            .slice(0, 10)
            .map((party) => ({
                id: party.id,
                reference: party.reference,
                name: party.name,
                seats: party.seats,
                checked_in: Boolean(party.checked_in_at || admittedHere[party.id]),
            }));
    }

    async function searchServer(query) {
        const url = `${text.searchUrl}?performance=${performance}&q=${encodeURIComponent(query)}`;
        const response = await get(url);
        return response.ok ? (await response.json()).results : [];
    }

    searchInput.addEventListener("input", () => {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(async () => {
            const query = searchInput.value.trim();
            searchResults.replaceChildren();
            if (query.length < 2) {
                return;
            }
            let results;
            if (offline) {
                results = searchKnown(query);
            } else {
                try {
                    results = await searchServer(query);
                } catch (error) {
                    if (!noAnswer(error)) {
                        throw error;
                    }
                    goOffline();
                    results = searchKnown(query);
                }
            }
            if (!results.length) {
                const item = document.createElement("li");
                item.textContent = text.noResults;
                searchResults.append(item);
            }
            for (const found of results) {
                const item = document.createElement("li");
                const button = document.createElement("button");
                button.type = "button";
                button.textContent = `${found.name} · ${found.seats} · ${found.reference}` +
                    (found.checked_in ? ` · ${text.checkedInLabel}` : "");
                button.addEventListener("click", () => check({ reservation: found.id }));
                item.append(button);
                searchResults.append(item);
            }
        }, 250);
    });

    // Camera scanning.
    let stream = null;
    let lastCode = null;
    let lastCodeAt = 0;
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const detector = "BarcodeDetector" in window
        ? new window.BarcodeDetector({ formats: ["qr_code"] })
        : null;

    async function decodeFrame() {
        if (detector) {
            const codes = await detector.detect(video);
            return codes.length ? codes[0].rawValue : null;
        }
        if (!window.jsQR || !video.videoWidth) {
            return null;
        }
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        const code = window.jsQR(frame.data, frame.width, frame.height, {
            inversionAttempts: "dontInvert",
        });
        return code ? code.data : null;
    }

    async function scan() {
        if (!stream) {
            return;
        }
        try {
            const code = await decodeFrame();
            const now = Date.now();
            // The same code in consecutive frames is one scan; a new code is scanned at once.
            if (code && (code !== lastCode || now - lastCodeAt > 4000)) {
                lastCode = code;
                lastCodeAt = now;
                await check({ code });
            } else if (code) {
                lastCodeAt = now;
            }
        } catch (error) {
            // A frame that cannot be read is skipped; the scanner goes on.
        }
        setTimeout(scan, 120);
    }

    async function startCamera() {
        try {
            stream = await navigator.mediaDevices.getUserMedia({
                video: { facingMode: { ideal: "environment" } },
                audio: false,
            });
        } catch (error) {
            cameraStatus.textContent = text.cameraUnavailable;
            return;
        }
        // A restarted camera scans again what it sees, even the ticket it saw last.
        lastCode = null;
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        cameraToggle.textContent = text.cameraStop;
        cameraStatus.textContent = text.cameraScanning;
        scan();
    }

    function stopCamera() {
        if (stream) {
            stream.getTracks().forEach((track) => track.stop());
        }
        stream = null;
        video.hidden = true;
        cameraToggle.textContent = text.cameraStart;
        cameraStatus.textContent = "";
    }

    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
        cameraToggle.addEventListener("click", () => (stream ? stopCamera() : startCamera()));
    } else {
        cameraToggle.hidden = true;
        cameraStatus.textContent = text.cameraUnavailable;
    }

    // Online and offline.
    function showNetworkStatus() {
        const stored = store.list(performance);
        const queued = store.queue().length;
        const parts = [];
        if (offline) {
            parts.push(stored
                ? fill(text.statusOffline, { time: localTime(stored.generatedAt) })
                : text.statusNoList);
        } else if (stored) {
            parts.push(fill(text.statusReady, { time: localTime(stored.generatedAt) }));
        }
        if (queued) {
            parts.push(fill(text.statusQueued, { count: queued }));
        }
        network.hidden = !parts.length;
        network.textContent = parts.join(" ");
        network.dataset.offline = offline ? "true" : "false";
        if (offline) {
            updateSeatCounts(store.seatCounts(performance));
        }
    }

    function goOffline() {
        if (!offline) {
            offline = true;
            showNetworkStatus();
        }
    }

    function goOnline() {
        if (offline) {
            offline = false;
            showNetworkStatus();
            sendQueueAndRefresh();
        }
    }

    let sending = null;

    // Send what was admitted offline; the server applies each once (checkin/services.py).
    async function sendQueue() {
        if (!store.queue().length) {
            return;
        }
        const answers = await store.sync(post, text.syncUrl);
        const sent = answers.filter((answer) => answer.outcome !== "invalid").length;
        const conflicts = answers.filter((answer) =>
            ["admitted_twice", "no_longer_valid"].includes(answer.outcome)).length;
        network.hidden = false;
        network.dataset.offline = "false";
        network.textContent = fill(text.statusSynced, { sent, conflicts });
    }

    async function refreshList() {
        const response = await get(`${text.listUrl}?performance=${performance}`);
        goOnline(); // an answer, whatever it says: the server is reachable
        if (response.ok) {
            const data = await response.json();
            store.storeList(data);
            updateSeatCounts(data.seat_counts);
        }
    }

    // One at a time, the queue first: a list fetched before the queue went could still show
    // the queued parties unadmitted. Offline, only a probe tries: the browser may be on a
    // network while the server was the one that did not answer.
    function sendQueueAndRefresh({ probe = false } = {}) {
        if (offline && !probe) {
            return Promise.resolve();
        }
        if (!sending) {
            const hadQueue = store.queue().length > 0;
            sending = (async () => {
                try {
                    await sendQueue();
                    await refreshList();
                    if (!hadQueue) {  // else the status line reports the sending
                        showNetworkStatus();
                    }
                } catch (error) {
                    if (noAnswer(error)) {
                        goOffline();
                    }
                } finally {
                    sending = null;
                }
            })();
        }
        return sending;
    }

    window.addEventListener("offline", goOffline);
    window.addEventListener("online", () => {
        offline = false;
        sendQueueAndRefresh();
    });
    // Kept fresh while online: check-ins at the other doors reach this door's list.
    setInterval(() => sendQueueAndRefresh({ probe: navigator.onLine }), 30000);

    if (doorNameInput) {
        doorNameInput.value = store.doorName();
        doorNameInput.addEventListener("change", () => store.setDoorName(doorNameInput.value));
    }

    const carryButton = $("[data-carry-guest-list]");
    if (carryButton && text.guestListUrl) {
        carryButton.addEventListener("click", async () => {
            try {
                const response = await get(`${text.guestListUrl}?performance=${performance}`);
                if (!response.ok) {
                    throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
                }
                const data = await response.json();
                for (const guest of data.guests) {
                    known.set(guest.id, guest);
                }
                carryButton.hidden = true;
                $("[data-guest-list-status]").textContent =
                    fill(text.guestListCarried, { count: data.guests.length });
            } catch (error) {
                showError(error);
            }
        });
    }

    // The door opens without a network once it has been opened with one: a service worker
    // keeps the page and its files. A page opened from a ticket's QR code is never kept.
    if ("serviceWorker" in navigator && !text.initialCode &&
        location.pathname === text.doorUrl) {
        const firstVisit = !navigator.serviceWorker.controller;
        navigator.serviceWorker.register(text.serviceWorkerUrl, { scope: text.doorUrl })
            .then(() => navigator.serviceWorker.ready)
            .then((registration) => {
                if (firstVisit && registration.active) {
                    registration.active.postMessage({
                        keep: location.href,
                        files: window.performance.getEntriesByType("resource").map((entry) => entry.name),
                    });
                }
            })
            .catch(() => null);
    }

    showNetworkStatus();
    sendQueueAndRefresh();

    if (text.initialCode) {
        check({ code: text.initialCode });
    }
    codeInput.focus();
})();
