// The door's service worker (served by checkin.views.service_worker): the door opens without
// a network. It answers only for the door page and for static files; every JSON request of
// the door goes to the network, and the door's script decides offline when none answers.
// Values from the server; JSON, so they are JavaScript literals.
const CACHE = {{ cache_name|safe }};
const DOOR_URL = {{ door_url|safe }};
const STATIC_URL = {{ static_url|safe }};
const PRECACHE = {{ precache|safe }};

self.addEventListener("install", (event) => {
    event.waitUntil(
        caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()),
    );
});

self.addEventListener("activate", (event) => {
    // A new version of the door's files: the old copies go.
    event.waitUntil(
        caches.keys()
            .then((names) => Promise.all(
                names.filter((name) => name.startsWith("azionelab-door-") && name !== CACHE)
                    .map((name) => caches.delete(name)),
            ))
            .then(() => self.clients.claim()),
    );
});

function isDoorPage(url) {
    return url.origin === self.location.origin && url.pathname === DOOR_URL;
}

function isStaticFile(url) {
    return url.origin === self.location.origin && url.pathname.startsWith(STATIC_URL);
}

// The door page: the network's copy while there is a network, kept for later; without one,
// or when the application behind nginx is down (a 5xx), the copy of this performance's page,
// else of the last performance opened. A redirect (to the login page, say) is passed on and
// never kept.
async function doorPage(request) {
    const cache = await caches.open(CACHE);
    const kept = async () => (await cache.match(request.url)) || (await cache.match(DOOR_URL));
    let response;
    try {
        response = await fetch(request);
    } catch (error) {
        return (await kept()) || Response.error();
    }
    if (response.ok && !response.redirected) {
        await keepDoorPage(cache, request.url, response.clone());
    } else if (response.status >= 500) {
        return (await kept()) || response;
    }
    return response;
}

async function keepDoorPage(cache, url, response) {
    await cache.put(url, response.clone());
    await cache.put(DOOR_URL, response);
}

// Static files: their names change with their content, so a kept copy is good for ever.
async function staticFile(request) {
    const cache = await caches.open(CACHE);
    const kept = await cache.match(request);
    if (kept) {
        return kept;
    }
    const response = await fetch(request);
    if (response.ok) {
        await cache.put(request, response.clone());
    }
    return response;
}

self.addEventListener("fetch", (event) => {
    const request = event.request;
    if (request.method !== "GET") {
        return;
    }
    const url = new URL(request.url);
    if (request.mode === "navigate" && isDoorPage(url)) {
        event.respondWith(doorPage(request));
    } else if (isStaticFile(url)) {
        event.respondWith(staticFile(request));
    }
});

// The page that registered the worker loaded before the worker could see it: it asks the
// worker to keep it, and the static files it loaded, for the next time without a network.
self.addEventListener("message", (event) => {
    const { keep, files } = event.data || {};
    if (!keep || !isDoorPage(new URL(keep))) {
        return;
    }
    event.waitUntil((async () => {
        const cache = await caches.open(CACHE);
        const response = await fetch(keep, { credentials: "same-origin" });
        if (response.ok && !response.redirected) {
            await keepDoorPage(cache, keep, response);
        }
        const staticFiles = (files || []).filter((file) => isStaticFile(new URL(file)));
        await Promise.all(staticFiles.map(async (file) => {
            if (!(await cache.match(file))) {
                await cache.add(file).catch(() => null);
            }
        }));
        if (event.source) {
            event.source.postMessage({ kept: keep });
        }
    })());
});
