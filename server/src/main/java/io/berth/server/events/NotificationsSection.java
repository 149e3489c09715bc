package io.berth.server.events;

import io.berth.registry.events.EventType;
import io.berth.server.Config;
import io.berth.server.auth.RepositoryGlob;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** Reads the {@code notifications} section of the config file; every mistake is refused naming its field. */
public final class NotificationsSection {
    private static final Set<String> ENDPOINT_KEYS = Set.of("name", "url", "format", "events", "repositories",
            "mediaTypes", "artifactTypes", "headers", "secret", "timeout", "batch");
    /** What a repository glob may hold: the characters of repository names, and {@code *}. */
    private static final Pattern GLOB = Pattern.compile("[a-z0-9._/*-]+");
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_BATCH = Notifier.READ_AT_ONCE;
    /** An endpoint's name: it is a path segment of the admin API and the key of the endpoint's cursor. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /** A header's name: an HTTP token. */
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
    /** Headers Berth sets itself, or that the HTTP client decides (and would drop silently), in lowercase. */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "connection", "content-length",
            "transfer-encoding", "keep-alive", "upgrade", "expect", "te", "trailer", "via", "origin",
            "content-transfer-encoding", "content-type", Notifier.SIGNATURE_HEADER.toLowerCase(Locale.ROOT),
            Notifier.EVENT_ID_HEADER.toLowerCase(Locale.ROOT));

    private NotificationsSection() {
    }

    public static NotificationsConfig parse(JsonNode section, NotificationsConfig defaults, Path file) {
        Duration retention = duration(section, "notifications.retention", defaults.retention(), file);
        String source = section.hasNonNull("source") ? section.get("source").asString() : defaults.source();
        List<Endpoint> endpoints = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<JsonNode> entries = Config.list(section, "endpoints", file);
        for (int i = 0; i < entries.size(); i++) {
            String where = "notifications.endpoints[" + i + "]";
            Endpoint endpoint = endpoint(entries.get(i), where, file);
            if (!names.add(endpoint.name())) {
                throw new IllegalArgumentException(file + ": " + where + ".name: '" + endpoint.name()
                        + "' names another endpoint too");
            }
            endpoints.add(endpoint);
        }
        boolean pulls = section.hasNonNull("pulls") ? section.get("pulls").asBoolean() : defaults.pulls();
        return new NotificationsConfig(endpoints, retention, source, pulls);
    }

    private static Endpoint endpoint(JsonNode node, String where, Path file) {
        Config.requireKeys(node, "notifications.endpoints[]", ENDPOINT_KEYS, file);
        String urlText = Config.text(node, "url");
        if (urlText == null) {
            throw new IllegalArgumentException(file + ": " + where + ".url is required");
        }
        URI url;
        try {
            url = new URI(urlText);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(file + ": " + where + ".url is not a URL: " + urlText);
        }
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
            throw new IllegalArgumentException(file + ": " + where + ".url must be an http:// or https:// URL with "
                    + "a host, got " + urlText);
        }
        String name = Config.text(node, "name");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(file + ": " + where + ".name is required: letters, digits, '.', '_' "
                    + "and '-', at most 100 (it names the endpoint's place in the event log)");
        }
        String formatName = Config.text(node, "format") != null ? Config.text(node, "format") : "cloudevents";
        EventFormat format = EventFormat.of(formatName).orElseThrow(() -> new IllegalArgumentException(file + ": "
                + where + ".format must be cloudevents or distribution, got " + formatName));
        Set<EventType> events = EnumSet.noneOf(EventType.class);
        for (String type : Config.strings(node, "events", file)) {
            events.add(EventType.of(type).orElseThrow(() -> new IllegalArgumentException(file + ": " + where
                    + ".events: unknown event type '" + type + "' (types are io.berth.image.pushed, "
                    + "io.berth.referrer.pushed, ... as in docs/events.md)")));
        }
        List<RepositoryGlob> repositories = new ArrayList<>();
        for (String glob : Config.strings(node, "repositories", file)) {
            if (!GLOB.matcher(glob).matches() || glob.contains("***")) {
                throw new IllegalArgumentException(file + ": " + where + ".repositories: '" + glob
                        + "' is not a repository glob (lowercase names with * and **)");
            }
            repositories.add(new RepositoryGlob(glob));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode headerNode = node.path("headers");
        if (!headerNode.isMissingNode() && !headerNode.isNull()) {
            if (!headerNode.isObject()) {
                throw new IllegalArgumentException(file + ": " + where + ".headers must be a mapping");
            }
            for (String header : headerNode.propertyNames()) {
                String value = headerNode.get(header).asString();
                String lower = header.toLowerCase(Locale.ROOT);
                if (!HEADER.matcher(header).matches()) {
                    throw new IllegalArgumentException(file + ": " + where + ".headers: '" + header
                            + "' is not a header name");
                }
                if (RESERVED_HEADERS.contains(lower) || lower.startsWith("access-control-")) {
                    throw new IllegalArgumentException(file + ": " + where + ".headers: '" + header
                            + "' cannot be set: Berth or the HTTP client sets it");
                }
                if (value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                    throw new IllegalArgumentException(file + ": " + where + ".headers: the value of '" + header
                            + "' must be one line");
                }
                headers.put(header, value);
            }
        }
        Duration timeout = duration(node, where + ".timeout", DEFAULT_TIMEOUT, file);
        String secret = Config.text(node, "secret");
        if (secret != null && secret.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + where + ".secret must not be empty (leave it out to "
                    + "send unsigned requests)");
        }
        JsonNode batchNode = node.path("batch");
        int batch = 1;
        if (!batchNode.isMissingNode() && !batchNode.isNull()) {
            batch = batchNode.isIntegralNumber() && batchNode.canConvertToInt() ? batchNode.asInt() : 0;
            if (batch < 1 || batch > MAX_BATCH) {
                throw new IllegalArgumentException(file + ": " + where + ".batch must be a number of events from 1 to "
                        + MAX_BATCH);
            }
        }
        return new Endpoint(name, url, format, events, repositories,
                Set.copyOf(Config.strings(node, "mediaTypes", file)),
                Set.copyOf(Config.strings(node, "artifactTypes", file)), headers, secret, timeout, batch);
    }

    private static Duration duration(JsonNode node, String where, Duration absent, Path file) {
        String field = where.substring(where.lastIndexOf('.') + 1);
        Duration value;
        try {
            value = Config.duration(node, field, absent);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": " + where + " must be a duration such as 10s, 5m or 7d");
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(file + ": " + where + " must be positive");
        }
        return value;
    }
}
