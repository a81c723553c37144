// The door view: scan (camera, handheld scanner or keyboard), preview, check in.
// Talks to the JSON endpoints of checkin/views.py; decodes QR codes with the browser's own
// BarcodeDetector where there is one, else with the vendored jsQR.
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

    // What the result panel is about: {code} or {reservation}, and the reservation's id.
    let current = null;
    let currentReservation = null;
    let busy = false;

    async function post(url, body) {
        const response = await fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: {
                "Content-Type": "application/json",
                "X-CSRFToken": csrfToken,
                // Wagtail answers refused admin requests so marked with 403, not a login page.
                "X-Requested-With": "XMLHttpRequest",
            },
            body: JSON.stringify(body),
        });
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

    function show(data) {
        result.hidden = false;
        result.dataset.state = data.state;
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
        result.hidden = false;
        result.dataset.state = "error";
        // The server's own words when it gave a reason; otherwise what the status means.
        if (error && error.message && !error.message.startsWith("HTTP")) {
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

    async function check(request) {
        if (busy) {
            return;
        }
        busy = true;
        current = request;
        try {
            show(await post(text.previewUrl, { performance, ...request }));
        } catch (error) {
            showError(error);
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
        busy = true;
        admit.disabled = true;
        try {
            // A retry after a dropped connection gets the check-in that already happened.
            show(await post(text.checkInUrl, { performance, ...current }));
        } catch (error) {
            showError(error);
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
    searchInput.addEventListener("input", () => {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(async () => {
            const query = searchInput.value.trim();
            searchResults.replaceChildren();
            if (query.length < 2) {
                return;
            }
            const url = `${text.searchUrl}?performance=${performance}&q=${encodeURIComponent(query)}`;
            const response = await fetch(url, {
                credentials: "same-origin",
                headers: { "X-Requested-With": "XMLHttpRequest" },
            });
            const data = response.ok ? await response.json() : { results: [] };
            if (!data.results.length) {
                const item = document.createElement("li");
                item.textContent = text.noResults;
                searchResults.append(item);
            }
            for (const found of data.results) {
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

    if (text.initialCode) {
        check({ code: text.initialCode });
    }
    codeInput.focus();
})();
