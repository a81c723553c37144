// What the door keeps on the device to decide without a network (docs/adr/0022-offline-door.md):
// the chosen performance's door list, the check-ins made offline and waiting to be sent, and
// the door's name. All in localStorage, and none of it a ticket token or, without a ticket,
// a name: the list's entries are keyed by the SHA-256 of a ticket's token and sealed with
// AES-GCM under a key derived from the token (HKDF-SHA256), as checkin/door_list.py seals them.
window.DoorOffline = (() => {
    "use strict";

    const KEY_INFO = new TextEncoder().encode("azionelab door list v1");
    // The same pattern as the server's (checkin/services.py TICKET_CODE).
    const TICKET_CODE = /(?:^|\/t\/)([A-Za-z0-9_-]{43})\/?$/;
    const QUEUE = "azionelab.door.queue";
    const DOOR_NAME = "azionelab.door.name";
    const listKey = (performance) => `azionelab.door.list.${performance}`;
    const admittedKey = (performance) => `azionelab.door.admitted.${performance}`;

    function read(key, fallback) {
        try {
            const value = localStorage.getItem(key);
            return value === null ? fallback : JSON.parse(value);
        } catch (error) {
            return fallback;
        }
    }

    function write(key, value) {
        localStorage.setItem(key, JSON.stringify(value));
    }

    function tokenIn(code) {
        const match = TICKET_CODE.exec((code || "").trim());
        return match ? match[1] : null;
    }

    function hex(buffer) {
        return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
    }

    function base64urlBytes(text) {
        const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
        const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
        return Uint8Array.from(binary, (character) => character.charCodeAt(0));
    }

    async function entryId(token) {
        return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    }

    async function openBox(token, id, box) {
        const secret = await crypto.subtle.importKey(
            "raw", new TextEncoder().encode(token), "HKDF", false, ["deriveKey"],
        );
        const key = await crypto.subtle.deriveKey(
            { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: KEY_INFO },
            secret,
            { name: "AES-GCM", length: 256 },
            false,
            ["decrypt"],
        );
        const raw = base64urlBytes(box);
        const plain = await crypto.subtle.decrypt(
            { name: "AES-GCM", iv: raw.slice(0, 12), additionalData: new TextEncoder().encode(id) },
            key,
            raw.slice(12),
        );
        return JSON.parse(new TextDecoder().decode(plain));
    }

    // Lists of other performances older than this are dropped: a phone carries the evening's
    // lists, not the season's.
    const LIST_LIFETIME_MS = 36 * 60 * 60 * 1000;

    function dropOldLists(keep) {
        const queued = new Set(queue().map((item) => String(item.performance)));
        const prefix = listKey("");
        for (const key of Object.keys(localStorage)) {
            const performance = key.startsWith(prefix) ? key.slice(prefix.length) : null;
            if (!performance || performance === String(keep) || queued.has(performance)) {
                continue;
            }
            const stored = read(key, null);
            if (!stored || Date.now() - Date.parse(stored.generatedAt) > LIST_LIFETIME_MS) {
                localStorage.removeItem(key);
                localStorage.removeItem(admittedKey(performance));
            }
        }
    }

    // The door list as the server sent it, its entries by id.
    function storeList(data) {
        dropOldLists(data.performance);
        const entries = {};
        for (const entry of data.entries) {
            entries[entry.id] = entry.box;
        }
        write(listKey(data.performance), {
            generatedAt: data.generated_at,
            seatCounts: data.seat_counts,
            entries,
        });
        // What the server now counts needs no local copy: it decides from the list again.
        const admitted = read(admittedKey(data.performance), {});
        const queued = new Set(queue().map((item) => String(item.reservation)));
        for (const id of Object.keys(admitted)) {
            if (!queued.has(id)) {
                delete admitted[id];
            }
        }
        write(admittedKey(data.performance), admitted);
    }

    function list(performance) {
        return read(listKey(performance), null);
    }

    function queue() {
        return read(QUEUE, []);
    }

    function admittedHere(performance) {
        return read(admittedKey(performance), {});
    }

    // The party behind a scanned code, from the list: null when the code is no ticket on it.
    async function find(performance, code) {
        const token = tokenIn(code);
        const stored = list(performance);
        if (!token || !stored) {
            return null;
        }
        const id = await entryId(token);
        const box = stored.entries[id];
        return box ? openBox(token, id, box) : null;
    }

    // The offline decision for a party (null: not on this performance's list).
    function decide(performance, party) {
        if (!party) {
            return { state: "not_on_list" };
        }
        if (party.status === "cancelled") {
            return { state: "cancelled", party };
        }
        const here = admittedHere(performance)[party.id];
        if (here) {
            return { state: "admitted_here", party, at: here.at };
        }
        if (party.checked_in_at) {
            return { state: "already_checked_in", party, at: party.checked_in_at };
        }
        return { state: "valid", party };
    }

    // Admit a party offline: remembered on this device and queued for the server, under
    // `nonce` when the admission already has one (a check-in sent that got no answer).
    function admit(performance, party, { nonce = crypto.randomUUID(), now = new Date() } = {}) {
        const at = now.toISOString();
        const admitted = admittedHere(performance);
        admitted[party.id] = { at, seats: party.seats };
        write(admittedKey(performance), admitted);
        const items = queue();
        items.push({
            nonce,
            performance,
            reservation: party.id,
            admitted_at: at,
            door: doorName(),
            seats: party.seats,
        });
        write(QUEUE, items);
    }

    // The counters with this device's admissions the server has not counted yet.
    function seatCounts(performance) {
        const stored = list(performance);
        if (!stored || !stored.seatCounts) {
            return null;
        }
        const waiting = queue()
            .filter((item) => item.performance === performance)
            .reduce((sum, item) => sum + item.seats, 0);
        return {
            checked_in_seats: stored.seatCounts.checked_in_seats + waiting,
            confirmed_seats: stored.seatCounts.confirmed_seats,
        };
    }

    // Send the queue, in parts; returns the server's answers. What the server answered is
    // taken off the queue, whatever the answer: a replay would change nothing.
    async function sync(post, url, batch = 100) {
        const answers = [];
        let items = queue();
        while (items.length) {
            const part = items.slice(0, batch);
            const data = await post(url, {
                check_ins: part.map(({ seats, ...item }) => item),
            });
            const answered = new Set(part.map((item) => item.nonce));
            write(QUEUE, queue().filter((item) => !answered.has(item.nonce)));
            answers.push(...data.results);
            items = queue();
        }
        return answers;
    }

    function doorName() {
        return read(DOOR_NAME, "");
    }

    function setDoorName(name) {
        write(DOOR_NAME, name.trim().slice(0, 60));
    }

    return {
        admit, admittedHere, decide, doorName, find, list, queue, seatCounts, setDoorName,
        storeList, sync, tokenIn,
    };
})();
