/*
 * AzioneLab's partner widget: the upcoming performances of one show, or of the whole season,
 * with their availability, on a partner's page. No dependencies, no build step.
 *
 * Embed it with one script tag and an element that names the season or a show (its id in
 * the API, /api/v1/shows/):
 *
 *   <script src="https://OUR-SITE/static/booking/widget.js" defer></script>
 *   <div data-azionelab-season><a href="https://OUR-SITE/spettacoli/">AzioneLab: the season</a></div>
 *   <div data-azionelab-show="12"><a href="https://OUR-SITE/spettacoli/x/">…</a></div>
 *
 * The link inside the element is the fallback: it is what visitors get without JavaScript, and
 * it stays when the API can't be read (the page's origin is not in the site's
 * CORS_ALLOWED_ORIGINS, or the network fails). An element without a link gets one to the
 * site's home page. Once the API has answered, the element shows the performances in a
 * shadow root of its own, out of reach of the page's stylesheets, with its link below them.
 * Each performance links to the show page with that performance chosen in the booking form.
 *
 * Optional attributes:
 *   data-limit="6"  how many performances to show, 1 to 20 (6 if absent).
 *   lang="it"       the widget's language, read from the element or its nearest ancestor
 *                   with a lang attribute: Italian for "it", English for anything else.
 *                   Dates follow the whole tag: lang="en-US" gives a 12-hour clock.
 * Times are the venue's; the time zone is named when the visitor's clock is another.
 *
 * Theming: set any of these custom properties on the element or one of its ancestors.
 *   --azionelab-font         font family             default: the page's own font
 *   --azionelab-text         text on the cards       #1d1420
 *   --azionelab-background   the cards' background   #ffffff
 *   --azionelab-muted        venue and states        #4a3f4d
 *   --azionelab-accent       buttons, seats left     #8f1030
 *   --azionelab-accent-text  text on the buttons     #ffffff
 *   --azionelab-border       the cards' border       #ddd3c4
 *   --azionelab-radius       corners                 0.5rem
 * The defaults give every text at least 4.5:1 contrast (WCAG AA); keep it so when changing them.
 *
 * When its tab becomes visible again, the widget reads the API again if it last did so a
 * minute or more before: the seats left stay current.
 * A page with a Content Security Policy must allow OUR-SITE in script-src and connect-src,
 * and the widget's <style> element in style-src.
 */
(() => {
    "use strict";

    const STALE_AFTER_MS = 60 * 1000;
    const STRINGS = {
        en: {
            label: "Upcoming performances",
            none: "No upcoming performances",
            fallback: "AzioneLab: the season",
            seats: { one: "{n} seat left", other: "{n} seats left" },
            open: "On sale",
            soldOut: "Sold out",
            waitingList: "Sold out – waiting list",
            closed: "Booking closed",
            cancelled: "Cancelled",
            book: "Book",
            join: "Join the waiting list",
            details: "Details",
        },
        it: {
            label: "Prossime repliche",
            none: "Nessuna replica in programma",
            fallback: "AzioneLab: la stagione",
            seats: { one: "{n} posto disponibile", other: "{n} posti disponibili" },
            open: "In vendita",
            soldOut: "Esaurito",
            waitingList: "Esaurito – lista d'attesa",
            closed: "Prenotazioni chiuse",
            cancelled: "Annullato",
            book: "Prenota",
            join: "Lista d'attesa",
            details: "Dettagli",
        },
    };
    const STYLE = `
        :host { display: block; font-family: var(--azionelab-font); line-height: 1.4; }
        * { box-sizing: border-box; }
        p { margin: 0; }
        .list {
            display: grid; gap: 0.75rem; margin: 0; padding: 0; list-style: none;
            grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr));
        }
        .card, .empty {
            display: flex; flex-direction: column; gap: 0.2rem; padding: 1rem;
            background: var(--azionelab-background, #ffffff);
            color: var(--azionelab-text, #1d1420);
            border: 1px solid var(--azionelab-border, #ddd3c4);
            border-radius: var(--azionelab-radius, 0.5rem);
        }
        .when { font-weight: 700; }
        .title { font-size: 1.15em; font-weight: 700; line-height: 1.25; }
        .venue, .state { color: var(--azionelab-muted, #4a3f4d); }
        .state { margin-bottom: 0.75rem; font-size: 0.95em; }
        .card--open .state { color: var(--azionelab-accent, #8f1030); font-weight: 700; }
        .action {
            align-self: flex-start; margin-top: auto; padding: 0.6rem 1rem; min-height: 2.75rem;
            border: 2px solid var(--azionelab-accent, #8f1030);
            border-radius: var(--azionelab-radius, 0.5rem);
            color: var(--azionelab-accent, #8f1030);
            font-weight: 700; line-height: 1.2; text-decoration: none;
        }
        .card--open .action {
            background: var(--azionelab-accent, #8f1030);
            color: var(--azionelab-accent-text, #ffffff);
        }
        .action:hover { text-decoration: underline; text-underline-offset: 0.15em; }
        .action:focus-visible {
            outline: 3px solid var(--azionelab-accent, #8f1030); outline-offset: 2px;
        }
        .more { margin-top: 0.75rem; }
    `;

    // The site the script comes from serves the API too: read from the script's own address,
    // while it runs, or from the script element that loaded it.
    const OWN_NAME = /\/booking\/widget(\.\w+)?\.js([?#]|$)/;
    const script =
        document.currentScript || Array.from(document.scripts).find((s) => OWN_NAME.test(s.src));
    if (!script || !script.src) {
        return;
    }
    const origin = new URL(script.src, document.baseURI).origin;
    const widgets = [];

    const make = (tag, className, text) => {
        const node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    };

    // The language tag for dates, and the strings: Italian for "it…", English otherwise.
    const languageOf = (element) => {
        const holder = element.closest("[lang]");
        let locale = "en";
        try {
            locale = Intl.getCanonicalLocales((holder && holder.lang.trim()) || "en")[0];
        } catch (error) {
            // An invalid tag: English.
        }
        return { locale, strings: STRINGS[locale.split("-")[0].toLowerCase()] || STRINGS.en };
    };

    // "Tue 15 Dec, 21:00" on the venue's clock, with the year only when it is not this one.
    const formatDate = (performance, locale) => {
        const start = new Date(performance.starts_at);
        const timeZone = performance.time_zone;
        const year = (date) =>
            new Intl.DateTimeFormat("en", { timeZone, year: "numeric" }).format(date);
        const options = {
            timeZone,
            weekday: "short",
            day: "numeric",
            month: "short",
            hour: "numeric",
            minute: "2-digit",
        };
        if (year(start) !== year(new Date())) {
            options.year = "numeric";
        }
        if (Intl.DateTimeFormat().resolvedOptions().timeZone !== timeZone) {
            options.timeZoneName = "short";
        }
        return new Intl.DateTimeFormat(locale, options).format(start);
    };

    const availability = (performance, widget) => {
        const { strings, locale } = widget;
        if (performance.state === "open") {
            if (typeof performance.seats_left !== "number") {
                return strings.open;
            }
            const form = new Intl.PluralRules(locale).select(performance.seats_left);
            const sentence = strings.seats[form] || strings.seats.other;
            const number = new Intl.NumberFormat(locale).format(performance.seats_left);
            return sentence.replace("{n}", number);
        }
        if (performance.state === "sold_out") {
            return performance.waiting_list ? strings.waitingList : strings.soldOut;
        }
        const others = { closed: strings.closed, cancelled: strings.cancelled };
        return others[performance.state] || performance.state_label;
    };

    const card = (performance, widget) => {
        const { strings, locale } = widget;
        const date = formatDate(performance, locale);
        const item = make("li", `card card--${performance.state}`);
        const time = make("time", "when", date);
        time.dateTime = performance.starts_at;
        item.append(time);
        if (widget.season) {
            item.append(make("p", "title", performance.show.title));
        }
        item.append(
            make("p", "venue", performance.venue.name),
            make("p", "state", availability(performance, widget)),
        );
        const href = new URL(performance.booking_url, origin);
        if (href.protocol === "https:" || href.protocol === "http:") {
            let action = strings.details;
            if (performance.state === "open") {
                action = strings.book;
            } else if (performance.waiting_list) {
                action = strings.join;
            }
            const link = make("a", "action", action);
            link.href = href.href;
            // The visible word, then what it is for: the link's name tells the show and date.
            link.setAttribute("aria-label", `${action}, ${performance.show.title}, ${date}`);
            item.append(link);
        }
        return item;
    };

    const render = (widget, results) => {
        const { element, strings } = widget;
        // Everything is built before the shadow root is attached: should anything fail, the
        // element's own content stays in view.
        const parts = [make("style", "", STYLE)];
        if (results.length) {
            const list = make("ul", "list");
            // Safari drops the role of a list without bullets unless it is given.
            list.setAttribute("role", "list");
            const { title } = results[0].show;
            const label = widget.season ? strings.label : `${strings.label}: ${title}`;
            list.setAttribute("aria-label", label);
            list.append(...results.map((performance) => card(performance, widget)));
            parts.push(list);
        } else {
            parts.push(make("p", "empty", strings.none));
        }
        // The element's own content, its link, below the performances.
        const more = make("p", "more");
        more.append(document.createElement("slot"));
        parts.push(more);
        const root = element.shadowRoot || element.attachShadow({ mode: "open" });
        // A new rendering keeps the keyboard where it was: on the link to the same page.
        const focused = root.activeElement && root.activeElement.getAttribute("href");
        root.replaceChildren(...parts);
        const links = Array.from(root.querySelectorAll("a"));
        const again = focused && links.find((link) => link.getAttribute("href") === focused);
        if (again) {
            again.focus();
        }
    };

    const load = async (widget) => {
        if (widget.loading) {
            return;
        }
        widget.loading = true;
        try {
            const response = await fetch(widget.url, {
                mode: "cors",
                credentials: "omit",
                headers: { Accept: "application/json" },
            });
            if (!response.ok) {
                throw new Error(`AzioneLab widget: the API answered ${response.status}`);
            }
            const { results } = await response.json();
            if (!Array.isArray(results)) {
                throw new Error("AzioneLab widget: the API answered without results");
            }
            // Unchanged data is not drawn again.
            const text = JSON.stringify(results);
            if (text !== widget.shown) {
                render(widget, results);
                widget.shown = text;
            }
        } catch (error) {
            // The fallback link, or the last list drawn, stays.
            console.warn(error);
        } finally {
            // Failed or not, the next attempt waits for the next minute.
            widget.readAt = Date.now();
            widget.loading = false;
        }
    };

    const setUp = (element) => {
        const show = element.getAttribute("data-azionelab-show");
        if (show !== null && !/^\d+$/.test(show.trim())) {
            return;
        }
        const { locale, strings } = languageOf(element);
        if (!element.querySelector("a[href]")) {
            const link = make("a", "", strings.fallback);
            link.href = `${origin}/`;
            element.append(link);
        }
        const limit = Math.min(Math.max(Number.parseInt(element.dataset.limit, 10) || 6, 1), 20);
        const url = new URL("/api/v1/performances/", origin);
        if (show !== null) {
            url.searchParams.set("show", show.trim());
        }
        url.searchParams.set("page_size", String(limit));
        const widget = { element, locale, strings, url, season: show === null, readAt: 0 };
        widgets.push(widget);
        load(widget);
    };

    // "Live": back on the tab after a minute or more, the seats left are read again.
    document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") {
            widgets.filter((widget) => Date.now() - widget.readAt > STALE_AFTER_MS).forEach(load);
        }
    });

    const start = () => {
        document.querySelectorAll("[data-azionelab-season], [data-azionelab-show]").forEach(setUp);
    };
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
